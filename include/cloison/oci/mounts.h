// The container's mount list: the runtime defaults (/proc, /dev, /dev/pts, /dev/mqueue,
// /dev/shm, /sys, /sys/fs/cgroup), the pod's sandbox files, then the CRI mounts. A CRI mount
// over a default's destination replaces it (a CRI /dev replaces everything under /dev too),
// and the result is stably sorted by path depth so parents are mounted before children.
//
// Sandbox files (/etc/resolv.conf, /etc/hosts, /etc/hostname) are bound read-write unless the
// rootfs is read-only, as containerd does (the sandbox container gets them read-only). CRI
// mounts become rbind mounts with rprivate/rslave/rshared for PRIVATE/HOST_TO_CONTAINER/
// BIDIRECTIONAL (rslave/rshared also set the rootfs propagation); selinux_relabel is ignored
// (no SELinux support). Image volumes of the image config are not mounted (CRI-O's "ignore"):
// writes there land in the container's writable layer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

struct MountsInput {
  // The CRI mounts; may be null (the sandbox container has none).
  const google::protobuf::RepeatedPtrField<::runtime::v1::Mount>* cri_mounts = nullptr;
  // Host paths of the pod's files to bind ("" = skip; an empty shm_path means a private tmpfs).
  std::string resolv_conf_path, hosts_path, hostname_path, shm_path;
  bool readonly_rootfs = false;
  bool privileged = false;         // /sys and /sys/fs/cgroup read-write
  bool sandbox_container = false;  // sandbox files read-only
  // A user namespace that does not own the network namespace (a host-network pod with its
  // own user namespace) may not mount sysfs: /sys is then an rbind of the host's /sys.
  bool sysfs_as_bind = false;
};

struct MountsResult {
  nlohmann::json mounts = nlohmann::json::array();  // the spec's "mounts"
  std::string rootfs_propagation;                   // "" (runtime default), "rslave" or "rshared"
};

// Errors: a relative container_path is INVALID_ARGUMENT naming config.mounts[i].container_path;
// a host_path that is empty or relative is INVALID_ARGUMENT, one that does not exist NOT_FOUND
// (both naming config.mounts[i].host_path). Host paths are resolved to their real path.
absl::StatusOr<MountsResult> BuildMounts(const MountsInput& input);

}  // namespace cloison::oci
