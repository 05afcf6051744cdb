// Starting runtime commands from the monitor: posix_spawn with the given descriptors as
// stdin/stdout/stderr (-1 = /dev/null), default signal dispositions and an empty signal mask
// (the monitor blocks SIGCHLD and ignores others; children must not inherit that). Every other
// descriptor of the monitor is close-on-exec. The caller reaps the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

}  // namespace cloison::monitor
