// ID-mapped bind mounts (Linux 5.12+): `source` appears at `target` with its owners shifted
// through a user namespace's mappings (a file of host uid 0 shows as the namespace root's host
// uid, e.g. 100000), without touching the files. Made with open_tree(OPEN_TREE_CLONE),
// mount_setattr(MOUNT_ATTR_IDMAP) and move_mount. The filesystem under `source` must support
// ID-mapped mounts (ext4, xfs, btrfs, tmpfs 6.3+ ...); overlayfs accepts such mounts as
// lower layers since 5.19.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace cloison::storage {

// Mounts `source` on `target` (an existing directory) mapped through the user namespace open
// at `userns_fd`. Nothing is left mounted on failure.
absl::Status MountIdMapped(const std::string& source, const std::string& target, int userns_fd);

}  // namespace cloison::storage
