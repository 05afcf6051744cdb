#include "cloison/network/network_readiness.h"

#include "absl/strings/str_cat.h"
#include "cloison/network/cni_config.h"
#include "cloison/network/cni_plugin.h"

namespace cloison::network {

absl::Status CheckDefaultNetwork(const std::string& config_dir, const std::vector<std::string>& plugin_dirs) {
  absl::StatusOr<NetworkConfigList> list = LoadDefaultNetwork(config_dir);
  if (!list.ok()) return list.status();
  for (const nlohmann::json& plugin : list->plugins) {
    absl::StatusOr<std::string> binary = FindPlugin(plugin.at("type").get<std::string>(), plugin_dirs);
    if (!binary.ok()) return absl::FailedPreconditionError(absl::StrCat(list->source, ": ", binary.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace cloison::network
