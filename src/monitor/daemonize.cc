#include "cloison/monitor/daemonize.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cloison/monitor/process.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "nlohmann/json.hpp"

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

int RunDetached(const MonitorOptions& options, absl::FunctionRef<int()> monitor) {
  if (fcntl(options.sync_fd, F_SETFD, FD_CLOEXEC) != 0) {
    std::fprintf(stderr, "cloison-monitor: sync fd %d: %s\n", options.sync_fd, std::strerror(errno));
    return 1;
  }
  if (absl::Status detached = Daemonize(options); !detached.ok()) {
    WriteAll(options.sync_fd, SyncFailureReport(detached));
    return 1;
  }
  return monitor();
}

std::string SyncPidReport(int64_t pid) { return absl::StrCat(R"({"pid":)", pid, "}\n"); }

std::string SyncFailureReport(const absl::Status& status, bool timed_out) {
  nlohmann::json report{{"pid", -1}, {"message", std::string(status.message())}};
  if (timed_out) report["timed_out"] = true;
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace cloison::monitor
