// A sealed in-memory copy of an executable file, to start programs from: a memfd holding the
// file's bytes with exactly the seals F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE. A
// process started from it has a /proc/<pid>/exe that nobody (a container that can see the
// process included) can write to, and runc, started from it, skips the copy of its own binary
// that every `runc init` otherwise makes (runc's is_self_cloned() accepts exactly these seals).
// The copy is made on first use and made again when the file on disk changes (device, inode,
// size or modification time differ); a copy in use stays valid until its last holder drops it.
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloison/util/unique_fd.h"

namespace cloison::util {

// What tells one version of a file on disk from another.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  timespec modified{};

  bool operator==(const FileIdentity& other) const;
};

// One sealed copy. Its descriptor is close-on-exec and numbered 10 or above, so that a child's
// file actions on its low descriptors cannot overwrite it before the exec.
class SealedCopy {
 public:
  SealedCopy(UniqueFd fd, FileIdentity source);

  int fd() const { return fd_.get(); }
  // "/proc/self/fd/<fd>": the path to exec (posix_spawn, execve) while the descriptor is open
  // in the calling process; a program started from it sees it as its /proc/self/exe.
  std::string ExecPath() const;
  const FileIdentity& source() const { return source_; }

 private:
  UniqueFd fd_;
  FileIdentity source_;
};

class SealedExecutable {
 public:
  explicit SealedExecutable(std::string path);

  const std::string& path() const { return path_; }

  // The copy of the file as it is now on disk: the one made before when the file did not
  // change since, otherwise a new one. NOT_FOUND when the file is missing, INTERNAL when the
  // copy cannot be made or sealed.
  absl::StatusOr<std::shared_ptr<const SealedCopy>> Current() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::string path_;
  absl::Mutex mu_;
  std::shared_ptr<const SealedCopy> copy_ ABSL_GUARDED_BY(mu_);
};

// The process-wide SealedExecutable of `path`: one copy per binary however many runtime
// handlers (and configuration reloads) name it.
std::shared_ptr<SealedExecutable> SharedSealedExecutable(const std::string& path);

// Whether `fd` is a memfd with exactly the seals above.
bool HasExecutableSeals(int fd);

}  // namespace cloison::util
