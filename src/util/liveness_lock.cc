#include "cloison/util/liveness_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::util {
namespace {

// flock without waiting, retried on EINTR; 0 when taken, else errno.
int TryExclusive(int fd) {
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

absl::StatusOr<UniqueFd> TakeLivenessLock(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return SystemCallError("opening ", path);
  if (const int error = TryExclusive(fd.get()); error != 0) {
    if (error == EWOULDBLOCK) return absl::FailedPreconditionError(absl::StrCat(path, " is held by another process"));
    return SystemCallErrorOf(error, absl::StrCat("locking ", path));
  }
  return fd;
}

absl::StatusOr<LockState> ProbeLivenessLock(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return LockState::kAbsent;
    return SystemCallError("opening ", path);
  }
  const int error = TryExclusive(fd.get());
  if (error == 0) return LockState::kFree;
  if (error == EWOULDBLOCK) return LockState::kHeld;
  return SystemCallErrorOf(error, absl::StrCat("locking ", path));
}

}  // namespace cloison::util
