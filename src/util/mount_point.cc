#include "cloison/util/errno_status.h"
#include "cloison/util/mount_point.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloison/util/atomic_file.h"

namespace cloison::util {
namespace {

// More stacked mounts than this on one path means something keeps mounting there.
constexpr int kMaxStackedMounts = 64;

// A mount point as /proc/self/mountinfo spells it, with its octal escapes (\040 for a space,
// \011, \012, \134) decoded.
std::string DecodeMountPoint(absl::string_view field) {
  std::string path;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const absl::string_view digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == absl::string_view::npos) {
        path.push_back(static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    path.push_back(field[i]);
  }
  return path;
}

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

absl::Status DetachMountsUnder(const std::string& dir) {
  absl::StatusOr<std::string> mountinfo = ReadFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  const std::string root(absl::StripSuffix(dir, "/"));
  std::vector<std::string> mounts;
  for (absl::string_view line : absl::StrSplit(*mountinfo, '\n', absl::SkipEmpty())) {
    // "<id> <parent id> <major:minor> <root> <mount point> ...".
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 5) continue;
    std::string mount_point = DecodeMountPoint(fields[4]);
    if (mount_point == root || absl::StartsWith(mount_point, absl::StrCat(root, "/"))) {
      mounts.push_back(std::move(mount_point));
    }
  }
  // A mount below another has the longer path: the longest go first (equal paths side by side).
  std::sort(mounts.begin(), mounts.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  mounts.erase(std::unique(mounts.begin(), mounts.end()), mounts.end());
  absl::Status result;
  for (const std::string& mount : mounts) result.Update(DetachMounts(mount));
  return result;
}

}  // namespace cloison::util
