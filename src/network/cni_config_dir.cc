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
  // increment(ec), not ++, which throws when reading the directory fails.
  for (fs::directory_iterator it(config_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path ext = it->path().extension();
    std::error_code type_error;
    if ((ext == ".conf" || ext == ".conflist" || ext == ".json") && it->is_regular_file(type_error)) {
      candidates.push_back(it->path());
    }
  }
  if (candidates.empty()) {
    return absl::NotFoundError(absl::StrCat("no CNI network configuration found in ", config_dir,
                                            ec ? absl::StrCat(" (", ec.message(), ")") : ""));
  }
  return std::min_element(candidates.begin(), candidates.end())->string();
}

}  // namespace cloison::network
