#include "cloison/network/network_readiness.h"

#include "absl/strings/str_cat.h"
#include "cloison/network/cni_config.h"
#include "cloison/network/cni_config_dir.h"
#include "cloison/network/cni_plugin.h"
#include "cloison/util/atomic_file.h"

namespace cloison::network {

absl::Status CheckDefaultNetwork(const std::string& config_dir, const std::vector<std::string>& plugin_dirs) {
  absl::StatusOr<std::string> path = FindDefaultNetworkConfig(config_dir);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> text = util::ReadFile(*path);
  if (!text.ok()) return text.status();
  absl::StatusOr<NetworkConfigList> list = ParseNetworkConfig(*text, *path);
  if (!list.ok()) return list.status();
  for (const nlohmann::json& plugin : list->plugins) {
    absl::StatusOr<std::string> binary = FindPlugin(plugin.at("type").get<std::string>(), plugin_dirs);
    if (!binary.ok()) return absl::FailedPreconditionError(absl::StrCat(*path, ": ", binary.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace cloison::network
