// Finds the CNI network configuration cloison would use: the first *.conf, *.conflist or
// *.json file of the configured directory in lexical order (as CRI-O and containerd pick).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace cloison::network {

// The path of the default network's config file; NOT_FOUND with a readable message when the
// directory is missing or holds none.
absl::StatusOr<std::string> FindDefaultNetworkConfig(const std::string& config_dir);

}  // namespace cloison::network
