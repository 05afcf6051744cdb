#include "cloison/util/errno_status.h"
#include "cloison/util/mount_point.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cloison::util {
namespace {

// More stacked mounts than this on one path means something keeps mounting there.
constexpr int kMaxStackedMounts = 64;

}  // namespace

absl::StatusOr<bool> IsMountPoint(const std::string& path) {
  struct statx info {};
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &info) != 0) {
    if (errno == ENOENT) return false;
    return util::SystemCallError("statx ", path);
  }
  if ((info.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0) {
    return absl::InternalError(
        absl::StrCat("statx ", path, ": the kernel does not report mount roots"));
  }
  return (info.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

absl::Status DetachMounts(const std::string& path) {
  for (int i = 0; i < kMaxStackedMounts; ++i) {
    if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();
    return util::SystemCallError("umount ", path);
  }
  return absl::InternalError(
      absl::StrCat("umount ", path, ": still mounted after ", kMaxStackedMounts, " unmounts"));
}

}  // namespace cloison::util
