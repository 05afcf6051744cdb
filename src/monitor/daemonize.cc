#include "cloison/monitor/daemonize.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"

namespace cloison::monitor {

absl::Status Daemonize(const MonitorOptions& options) {
  const pid_t child = fork();
  if (child < 0) return util::SystemCallError("fork");
  if (child > 0) _exit(0);

  if (setsid() < 0) return util::SystemCallError("setsid");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return util::SystemCallError("prctl(PR_SET_CHILD_SUBREAPER)");
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return util::SystemCallError("open /dev/null");
  for (int fd = 0; fd < 3; ++fd) {
    if (fd != null_fd && dup2(null_fd, fd) < 0) return util::SystemCallError("dup2 /dev/null");
  }
  if (null_fd > 2) close(null_fd);
  for (int signal_number : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) signal(signal_number, SIG_IGN);
  if (!options.pid_file.empty()) {
    absl::Status written = util::ReplaceFile(options.pid_file, absl::StrCat(getpid(), "\n"), 0644);
    if (!written.ok()) return written;
  }
  if (chdir(options.bundle.c_str()) != 0) return util::SystemCallError("chdir ", options.bundle);
  return absl::OkStatus();
}

}  // namespace cloison::monitor
