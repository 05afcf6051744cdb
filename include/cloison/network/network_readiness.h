// Whether new pods could get their network now (Status' NetworkReady): the default network's
// configuration file (cni_config_dir.h) exists and parses (cni_config.h), and each plugin type
// it lists has a binary in the plugin directories (cni_plugin.h). Read afresh on every call: one
// directory listing, one small file and one access() per plugin, cheap at Status' pace.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cloison::network {

// OK when usable. NOT_FOUND when the directory holds no configuration; INVALID_ARGUMENT naming
// the file and field when it does not parse; FAILED_PRECONDITION naming the file, the plugin and
// the directories when a plugin binary is missing.
absl::Status CheckDefaultNetwork(const std::string& config_dir, const std::vector<std::string>& plugin_dirs);

}  // namespace cloison::network
