// Starting runtime commands from the monitor: posix_spawn with the given descriptors as
// stdin/stdout/stderr (-1 = /dev/null), default signal dispositions and an empty signal mask
// (the monitor blocks SIGCHLD and ignores others; children must not inherit that). Every other
// descriptor of the monitor is close-on-exec. The caller reaps the child, woken by the SIGCHLD
// signalfd below. Also the descriptors around the children: pipes, FIFOs, reads and writes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/util/command.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

struct Stdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// `group` kOwn: the child leads a new process group, so that kill(-pid) also reaches what it
// started (a runtime's hooks).
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const Stdio& stdio,
                            util::ProcessGroup group = util::ProcessGroup::kInherit);

// A pipe whose both ends are close-on-exec.
struct Pipe {
  util::UniqueFd read;
  util::UniqueFd write;
};
absl::StatusOr<Pipe> MakePipe();

absl::Status SetNonBlocking(int fd);

// Reads what is available on a non-blocking descriptor, appending to `out` while it holds less
// than `limit` bytes (the rest is read and dropped). False once the descriptor reached EOF or
// failed, true when it would block.
bool ReadAvailable(int fd, std::string& out, size_t limit);

// Writes all of `data` to `fd`, retrying EINTR (async-signal-safe); false when a write fails
// (as it does on a negative `fd`).
bool WriteAll(int fd, absl::string_view data);

// Creates the FIFO `path` (mode 0600, replacing a stale one) and opens it with `flags`,
// non-blocking and close-on-exec.
absl::StatusOr<util::UniqueFd> MakeFifo(const std::string& path, int flags);

// Blocks SIGCHLD in the calling thread (call it before starting threads: they inherit the mask)
// and returns a non-blocking, close-on-exec signalfd that becomes readable when a child exits.
absl::StatusOr<util::UniqueFd> OpenChildSignalFd();

// Reads every signal pending on the signalfd `signal_fd`.
void DrainSignalFd(int signal_fd);

}  // namespace cloison::monitor
