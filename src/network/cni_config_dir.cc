#include "cloison/network/cni_config_dir.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloison/util/directory_entries.h"

namespace cloison::network {

absl::StatusOr<std::string> FindDefaultNetworkConfig(const std::string& config_dir) {
  namespace fs = std::filesystem;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(config_dir);
  if (!entries.ok()) {
    return absl::NotFoundError(
        absl::StrCat("no CNI network configuration found in ", config_dir, " (", entries.status().message(), ")"));
  }
  for (const util::DirectoryEntry& entry : *entries) {  // sorted: the first match is the default
    const fs::path file = fs::path(config_dir) / entry.name;
    const fs::path ext = file.extension();
    std::error_code type_error;  // is_regular_file(ec) follows a symlink without throwing
    if ((ext == ".conf" || ext == ".conflist" || ext == ".json") && fs::is_regular_file(file, type_error)) {
      return file.string();
    }
  }
  return absl::NotFoundError(absl::StrCat("no CNI network configuration found in ", config_dir));
}

}  // namespace cloison::network
