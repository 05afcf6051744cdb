// A `sleep 1000` child that holds one of the test's descriptors as its fd 4, the way cloisond
// hands a container's monitor its liveness lock (or holds nothing, with -1); killed and reaped
// when destroyed or stopped.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloison/util/unique_fd.h"

extern char** environ;

namespace cloison::testing {

class FdHoldingSleeper {
 public:
  explicit FdHoldingSleeper(int fd) {
    // From above fd 4, so that the dup2 makes a descriptor without close-on-exec.
    const util::UniqueFd above(fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 10) : -1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (above.valid()) posix_spawn_file_actions_adddup2(&actions, above.get(), 4);
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("1000"), nullptr};
    if (posix_spawnp(&pid_, "sleep", &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~FdHoldingSleeper() { Stop(); }
  FdHoldingSleeper(const FdHoldingSleeper&) = delete;
  FdHoldingSleeper& operator=(const FdHoldingSleeper&) = delete;

  pid_t pid() const { return pid_; }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace cloison::testing
