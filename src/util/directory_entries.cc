#include "cloison/util/directory_entries.h"

#include <algorithm>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::util {

absl::StatusOr<std::vector<DirectoryEntry>> ListDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<DirectoryEntry> entries;
  std::error_code ec;
  // increment(ec), not ++, and symlink_status(ec): their other forms throw. The type comes
  // from readdir's d_type where the file system gives one, else from an lstat.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_error;
    entries.push_back({it->path().filename().string(), it->symlink_status(type_error).type()});
  }
  if (ec) {
    const absl::StatusCode code =
        ec == std::errc::no_such_file_or_directory ? absl::StatusCode::kNotFound : absl::StatusCode::kInternal;
    return SystemCallErrorOf(code, ec.value(), absl::StrCat("listing ", dir));
  }
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace cloison::util
