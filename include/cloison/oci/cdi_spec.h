// One CDI spec file (Container Device Interface, cdiVersion 0.3.x to 0.8.x: the released
// versions of the spec; any other version is refused, as a newer major one must be), parsed
// and validated the way the reference implementation (tags.cncf.io/container-device-interface)
// does it: unknown fields, an unknown cdiVersion, a bad kind or device name, a device without
// edits, two devices of one name, a spec without devices, an env entry without "=", a device
// node without path or with a bad type/permissions, a mount without hostPath/containerPath
// and a hook with an unknown hookName or no path all make the whole file invalid
// (INVALID_ARGUMENT naming the file and the field). "*.json" files are JSON; any other file
// is YAML (JSON is YAML too); YAML plain scalars follow YAML 1.1 as the reference reads them
// (0644 is octal, yes/no are booleans).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::oci {

struct CdiDeviceNode {
  std::string path;       // in the container
  std::string host_path;  // "" = path
  std::string type;       // "b", "c", "u", "p" or "" (taken from the host node)
  int64_t major = 0, minor = 0;  // 0/0 = taken from the host node
  std::optional<uint32_t> file_mode;
  std::string permissions;  // cgroup access, subset of "rwm"; "" = "rwm"; "none" = no access
  std::optional<uint32_t> uid, gid;
};

struct CdiMount {
  std::string host_path, container_path, type;
  std::vector<std::string> options;
};

struct CdiHook {
  std::string hook_name;  // prestart, createRuntime, createContainer, startContainer, poststart, poststop
  std::string path;
  std::vector<std::string> args, env;
  std::optional<int64_t> timeout;
};

struct CdiContainerEdits {
  std::vector<std::string> env;
  std::vector<CdiDeviceNode> device_nodes;
  std::vector<CdiMount> mounts;
  std::vector<CdiHook> hooks;
  std::vector<uint32_t> additional_gids;  // 0 is ignored when applied
  std::optional<nlohmann::json> intel_rdt;  // linux.intelRdt as the OCI spec names its keys

  bool empty() const {
    return env.empty() && device_nodes.empty() && mounts.empty() && hooks.empty() && additional_gids.empty() &&
           !intel_rdt.has_value();
  }
};

struct CdiSpec {
  std::string path;  // the file it came from
  std::string version, vendor, device_class;
  CdiContainerEdits edits;                          // applied once if any of its devices is
  std::map<std::string, CdiContainerEdits> devices;  // by (unqualified) device name
};

// Parses `text` read from `path` (whose extension picks JSON or YAML).
absl::StatusOr<CdiSpec> ParseCdiSpec(absl::string_view text, const std::string& path);

// Reads and parses the file at `path`.
absl::StatusOr<CdiSpec> ReadCdiSpec(const std::string& path);

}  // namespace cloison::oci
