// Container root filesystems: an overlayfs mount of the image's unpacked layers (read-only
// lower directories) under a per-container writable upper directory, at
// <dir>/<id>/merged. Mount and unmount are idempotent; Remove deletes the container's
// writable layer after unmounting.
//
// For a pod with its own user namespace the layers (owned by host ids) are first mounted
// ID-mapped through that namespace at <dir>/<id>/lower/<n> (idmapped_mount.h), the overlay
// stacks those, and the upper and work directories belong to the namespace's root, so the
// container's root owns its root filesystem and what it writes lands owned by the mapped
// host ids. Unmount finds those mounts on disk, so it also works after a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cloison::storage {

// The pod's user namespace, for an ID-mapped rootfs.
struct RootfsIdMap {
  std::string userns_path;  // a pinned user namespace (nsfs file)
  uint32_t root_uid = 0;    // the host ids of its root
  uint32_t root_gid = 0;
};

class OverlayRootfs {
 public:
  // `dir` is <root>/storage.
  explicit OverlayRootfs(std::string dir);

  // Mounts the rootfs of `container_id` over `layer_dirs` (base layer first) and returns the
  // mount point. With no layers, an empty lower directory is used. With `idmap`, the layers
  // are ID-mapped through the pod's user namespace.
  absl::StatusOr<std::string> Mount(const std::string& container_id, const std::vector<std::string>& layer_dirs,
                                    const std::optional<RootfsIdMap>& idmap = std::nullopt);
  absl::Status Unmount(const std::string& container_id);
  // Unmounts and deletes the writable layer.
  absl::Status Remove(const std::string& container_id);

  std::string MountPoint(const std::string& container_id) const;
  // The writable (upper) directory: what the container changed, for stats.
  std::string UpperDir(const std::string& container_id) const;
  bool IsMounted(const std::string& container_id) const;

 private:
  // Mounts each of `lower` ID-mapped at <base>/lower/<n> and returns those mount points.
  absl::StatusOr<std::vector<std::string>> MapLayers(const std::string& base, const std::vector<std::string>& lower,
                                                     const RootfsIdMap& idmap);
  // Detaches every ID-mapped layer mount of the container.
  absl::Status UnmountLayers(const std::string& base);

  std::string dir_;
};

}  // namespace cloison::storage
