#include "cloison/monitor/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cloison/util/command.h"
#include "cloison/util/errno_status.h"

extern char** environ;

namespace cloison::monitor {

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const Stdio& stdio, util::ProcessGroup group) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const int sources[3] = {stdio.in, stdio.out, stdio.err};
  for (int target = 0; target < 3; ++target) {
    if (sources[target] >= 0) {
      posix_spawn_file_actions_adddup2(&actions, sources[target], target);
    } else {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
  absl::StatusOr<pid_t> pid = util::SpawnWithDefaultSignals(argv[0], argv, actions, environ, group);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return util::SystemCallError("pipe");
  return Pipe{util::UniqueFd(fds[0]), util::UniqueFd(fds[1])};
}

absl::Status SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return util::SystemCallError("fcntl O_NONBLOCK");
  return absl::OkStatus();
}

bool ReadAvailable(int fd, std::string& out, size_t limit) {
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN;
    if (n == 0) return false;
    if (out.size() < limit) out.append(buffer, std::min(static_cast<size_t>(n), limit - out.size()));
  }
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = fd >= 0 ? write(fd, data.data(), data.size()) : -1;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

absl::StatusOr<util::UniqueFd> MakeFifo(const std::string& path, int flags) {
  unlink(path.c_str());
  if (mkfifo(path.c_str(), 0600) != 0) return util::SystemCallError("mkfifo ", path);
  util::UniqueFd fd(open(path.c_str(), flags | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return util::SystemCallError("open ", path);
  return fd;
}

absl::StatusOr<util::UniqueFd> OpenChildSignalFd() {
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, nullptr);
  util::UniqueFd signal_fd(signalfd(-1, &child_signal, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd.valid()) return util::SystemCallError("signalfd");
  return signal_fd;
}

void DrainSignalFd(int signal_fd) {
  signalfd_siginfo info;
  while (read(signal_fd, &info, sizeof(info)) > 0) {
  }
}

}  // namespace cloison::monitor
