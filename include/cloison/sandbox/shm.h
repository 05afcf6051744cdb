// The pod's /dev/shm: one tmpfs per pod (mode 1777, nosuid, nodev, noexec, 64 MiB by default
// like CRI-O), bind-mounted into each container sharing the pod's IPC namespace.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace cloison::sandbox {

inline constexpr uint64_t kDefaultShmSizeBytes = 64ull << 20;

// Mounts the tmpfs on `path` (a directory, created if missing). ALREADY_EXISTS when something
// is already mounted there; INVALID_ARGUMENT for a zero size.
absl::Status MountShm(const std::string& path, uint64_t size_bytes = kDefaultShmSizeBytes);

// Unmounts it. Idempotent: nothing mounted or no such path is fine. The directory stays.
absl::Status UnmountShm(const std::string& path);

}  // namespace cloison::sandbox
