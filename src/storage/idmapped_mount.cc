#include "cloison/storage/idmapped_mount.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"

namespace cloison::storage {

absl::Status MountIdMapped(const std::string& source, const std::string& target, int userns_fd) {
  util::UniqueFd tree(open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree.valid()) {
    return util::SystemCallError("open_tree ", source);
  }
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kFailedPrecondition, error,
                                   absl::StrCat("ID-mapping a mount of ", source, " (mount_setattr)"));
  }
  if (move_mount(tree.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return util::SystemCallError("move_mount ", source, " to ", target);
  }
  return absl::OkStatus();
}

}  // namespace cloison::storage
