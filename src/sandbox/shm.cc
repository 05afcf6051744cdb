#include "cloison/sandbox/shm.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/mount_point.h"

namespace cloison::sandbox {

absl::Status MountShm(const std::string& path, uint64_t size_bytes) {
  if (size_bytes == 0) {
    return absl::InvalidArgumentError(absl::StrCat("shm ", path, ": size must be positive"));
  }
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return absl::InternalError(absl::StrCat("create ", path, ": ", error.message()));
  absl::StatusOr<bool> mounted = util::IsMountPoint(path);
  if (!mounted.ok()) return mounted.status();
  if (*mounted) {
    return absl::AlreadyExistsError(absl::StrCat("shm ", path, ": already a mount point"));
  }
  const std::string options = absl::StrCat("mode=1777,size=", size_bytes);
  if (mount("shm", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0) {
    return util::SystemCallError("mount tmpfs (", options, ") on ", path);
  }
  return absl::OkStatus();
}

absl::Status UnmountShm(const std::string& path) { return util::DetachMounts(path); }

}  // namespace cloison::sandbox
