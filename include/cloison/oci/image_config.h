// The parts of an OCI image configuration (the image's config blob) that shape a container:
// its "config" object's Env, Entrypoint, Cmd, WorkingDir, User, StopSignal, Labels and Volumes.
// Absent or null fields are empty; a field of the wrong JSON type is INVALID_ARGUMENT.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::oci {

struct ImageConfig {
  std::vector<std::string> env;         // "KEY=value" entries, in image order
  std::vector<std::string> entrypoint;  // [""] is kept as given; the process rules treat it as none
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;         // "name", "uid", "name:group", "uid:gid", ... ("" = root)
  std::string stop_signal;  // e.g. "SIGQUIT" ("" = not set)
  std::map<std::string, std::string> labels;
  std::vector<std::string> volumes;  // the keys of "Volumes", sorted
};

// Parses the image config blob (application/vnd.oci.image.config.v1+json or the Docker
// equivalent). A blob without a "config" object describes an image with no settings.
absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view blob);

}  // namespace cloison::oci
