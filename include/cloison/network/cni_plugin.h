// Runs one CNI plugin binary the way the CNI spec's runtime does: the network configuration
// on stdin, the parameters in CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and
// CNI_PATH, the result (or the error object) on stdout.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::network {

struct PluginCall {
  std::string command;       // ADD, DEL or CHECK
  std::string container_id;  // the pod sandbox id
  std::string netns;         // path of the pinned netns; "" when it is gone (DEL only)
  std::string ifname;
  std::string args;          // CNI_ARGS
  std::vector<std::string> plugin_dirs;
  std::chrono::milliseconds timeout{0};
};

// The binary named `type` in the first of `dirs` that has it; NOT_FOUND naming the type and
// the directories otherwise.
absl::StatusOr<std::string> FindPlugin(const std::string& type, const std::vector<std::string>& dirs);

// Runs `binary` with `config` on stdin. Returns the parsed stdout (null when empty, as DEL and
// CHECK print nothing). A failing plugin gives an error carrying its "msg" and "details" (or
// its stderr); a plugin that outlives the timeout is killed (DEADLINE_EXCEEDED).
absl::StatusOr<nlohmann::json> InvokePlugin(const std::string& binary, const nlohmann::json& config,
                                            const PluginCall& call);

}  // namespace cloison::network
