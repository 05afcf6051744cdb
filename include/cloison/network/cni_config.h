// A CNI network configuration list (CNI spec 1.0.0, also 0.3.x and 0.4.0 configs): parsed from a
// .conflist, or from a .conf/.json holding one plugin, which is wrapped as a one-plugin list
// (as libcni's ConfListFromConf does). The plugin objects are kept as written: plugins read
// keys the runtime does not know.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cloison::network {

struct NetworkConfigList {
  std::string name;
  std::string cni_version;
  bool disable_check = false;
  std::vector<nlohmann::json> plugins;  // each has a string "type"
  std::string source;                   // where it was read (the file's path), for messages
};

// INVALID_ARGUMENT naming `source` and the field (name, cniVersion, plugins[i].type) when the
// text is not a usable configuration; cniVersion must be 0.3.0, 0.3.1, 0.4.0, 1.0.0 or 1.1.0.
absl::StatusOr<NetworkConfigList> ParseNetworkConfig(absl::string_view text, const std::string& source);

// Loads the default network of `config_dir` (see cni_config_dir.h). NOT_FOUND when there is none.
absl::StatusOr<NetworkConfigList> LoadDefaultNetwork(const std::string& config_dir);

// The list as a .conflist JSON object (for the on-disk cache; ParseNetworkConfig reads it back).
nlohmann::json NetworkConfigListToJson(const NetworkConfigList& list);

// Whether `version` is at least 0.4.0 (DEL gets prevResult, CHECK exists).
bool AtLeast040(const std::string& version);

}  // namespace cloison::network
