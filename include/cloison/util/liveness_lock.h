// Liveness locks: a file on which a process holds an exclusive flock(2) for as long as it
// lives. The lock belongs to the open file description, so it passes to children that inherit
// the descriptor (across fork and exec) and is released by the kernel, without a gap, when the
// last process holding that description closes it or exits, however it ends. Anyone can then
// tell whether the holder lives from the file alone, with no pid to be reused. cloisond takes
// `<state_dir>/monitor.lock` before it spawns a container's monitor and hands it over
// (runtime/monitor_launch.h).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cloison/util/unique_fd.h"

namespace cloison::util {

// Opens (creating, 0600) the lock file at `path` with O_CLOEXEC and takes its exclusive lock
// without waiting; FAILED_PRECONDITION when another description holds it, INTERNAL on other
// errors. The lock lasts while the returned descriptor (or a duplicate or inherited copy) is open.
absl::StatusOr<UniqueFd> TakeLivenessLock(const std::string& path);

enum class LockState {
  kAbsent,  // no lock file: nothing ever took it (or a state dir older than liveness locks)
  kFree,    // its holders are all gone
  kHeld,    // a process holds it
};

// Whether the lock at `path` is held, by trying it without waiting (flock LOCK_EX|LOCK_NB:
// EWOULDBLOCK means held); a free lock is let go again at once. INTERNAL when the file exists
// but cannot be opened or locked.
absl::StatusOr<LockState> ProbeLivenessLock(const std::string& path);

}  // namespace cloison::util
