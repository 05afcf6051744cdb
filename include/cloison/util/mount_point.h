// Small mount-table questions and answers shared by the pod mounts (namespace pins, /dev/shm)
// and container root filesystems.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cloison::util {

// Whether `path` is the root of a mount (false when it does not exist).
absl::StatusOr<bool> IsMountPoint(const std::string& path);

// Lazily unmounts (MNT_DETACH, without following a final symlink) every mount stacked on
// `path`. OK when nothing is mounted there or `path` does not exist.
absl::Status DetachMounts(const std::string& path);

// Lazily unmounts every mount at or below the directory `dir` in cloisond's mount namespace
// (/proc/self/mountinfo), the deepest first: what an interrupted call mounted there before it
// could record it. OK when nothing is mounted there.
absl::Status DetachMountsUnder(const std::string& dir);

}  // namespace cloison::util
