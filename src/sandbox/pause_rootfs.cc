#include "cloison/sandbox/pause_rootfs.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/util/atomic_file.h"

namespace cloison::sandbox {

absl::Status BuildPauseRootfs(const std::string& pause_binary, const std::string& dir) {
  absl::StatusOr<std::string> binary = util::ReadFile(pause_binary);
  if (!binary.ok()) return binary.status();
  const std::filesystem::path root(dir);
  for (const char* subdir : {"proc", "dev", "sys", "etc"}) {
    std::error_code error;
    std::filesystem::create_directories(root / subdir, error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("create ", (root / subdir).string(), ": ", error.message()));
    }
  }
  const std::string target = (root / "pause").string();
  absl::StatusOr<std::string> current = util::ReadFile(target);
  if (current.ok() && *current == *binary) return absl::OkStatus();
  if (!current.ok() && !absl::IsNotFound(current.status())) return current.status();
  return util::WriteFileAtomically(target, *binary, 0755);
}

}  // namespace cloison::sandbox
