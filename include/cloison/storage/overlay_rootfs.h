// Container root filesystems: an overlayfs mount of the image's unpacked layers (read-only
// lower directories) under a per-container writable upper directory, at
// <dir>/<id>/merged. Mount and unmount are idempotent; Remove deletes the container's
// writable layer after unmounting.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cloison::storage {

class OverlayRootfs {
 public:
  // `dir` is <root>/storage.
  explicit OverlayRootfs(std::string dir);

  // Mounts the rootfs of `container_id` over `layer_dirs` (base layer first) and returns the
  // mount point. With no layers, an empty lower directory is used.
  absl::StatusOr<std::string> Mount(const std::string& container_id, const std::vector<std::string>& layer_dirs);
  absl::Status Unmount(const std::string& container_id);
  // Unmounts and deletes the writable layer.
  absl::Status Remove(const std::string& container_id);

  std::string MountPoint(const std::string& container_id) const;
  // The writable (upper) directory: what the container changed, for stats.
  std::string UpperDir(const std::string& container_id) const;
  bool IsMounted(const std::string& container_id) const;

 private:
  std::string dir_;
};

}  // namespace cloison::storage
