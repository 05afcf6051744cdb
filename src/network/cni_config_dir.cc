#include "cloison/network/cni_config_dir.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cloison::network {

absl::StatusOr<std::string> FindDefaultNetworkConfig(const std::string& config_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (const fs::directory_entry& entry : fs::directory_iterator(config_dir, ec)) {
    const fs::path ext = entry.path().extension();
    if ((ext == ".conf" || ext == ".conflist" || ext == ".json") && entry.is_regular_file(ec)) {
      candidates.push_back(entry.path());
    }
  }
  if (candidates.empty()) {
    return absl::NotFoundError(absl::StrCat("no CNI network configuration found in ", config_dir,
                                            ec ? absl::StrCat(" (", ec.message(), ")") : ""));
  }
  return std::min_element(candidates.begin(), candidates.end())->string();
}

}  // namespace cloison::network
