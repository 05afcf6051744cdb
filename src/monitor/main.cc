// cloison-monitor: the per-container monitor cloisond starts (container mode, through an OCI
// runtime or a shim v2), the runner of one ExecSync call (--exec), or the relay of one
// interactive exec through a shim v2 (--shim-exec). The command line is
// described in include/cloison/monitor/options.h.
#include <fcntl.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cloison/monitor/container_monitor.h"
#include "cloison/monitor/exec_runner.h"
#include "cloison/monitor/options.h"
#include "cloison/monitor/shim_exec.h"
#include "cloison/monitor/shim_monitor.h"
#include "cloison/util/command.h"

namespace {

// The monitor changes to the bundle directory, so every path it keeps must be absolute.
void MakePathsAbsolute(cloison::monitor::MonitorOptions& options) {
  for (std::string* path : {&options.bundle, &options.log_path, &options.exit_file, &options.socket_dir,
                            &options.pid_file, &options.process_spec, &options.stdout_file,
                            &options.stderr_file, &options.state_dir}) {
    if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
  }
}

}  // namespace

int main(int argc, char** argv) {
  // cloisond executes the monitor from a sealed memfd (/proc/self/fd/N), which leaves "N" as the
  // process name; ps -C, pgrep and the benches look for the binary's name.
  prctl(PR_SET_NAME, std::filesystem::path(argv[0]).filename().c_str());
  absl::StatusOr<cloison::monitor::MonitorOptions> options =
      cloison::monitor::ParseOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::fprintf(stderr, "cloison-monitor: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  // Held, inherited, until this monitor (its daemonized self) exits; no exec'd program keeps it.
  if (options->lock_fd >= 0 && fcntl(options->lock_fd, F_SETFD, FD_CLOEXEC) != 0) {
    std::fprintf(stderr, "cloison-monitor: lock fd %d: %s\n", options->lock_fd, std::strerror(errno));
    return 1;
  }
  if (options->shim_exec) {
    MakePathsAbsolute(*options);
    return cloison::monitor::RunShimExec(*options);
  }
  std::string& binary = options->shim.empty() ? options->runtime : options->shim;
  absl::StatusOr<std::string> found = cloison::util::FindExecutable(binary);
  if (!found.ok()) {
    std::fprintf(stderr, "cloison-monitor: %s: %s\n", options->shim.empty() ? "runtime" : "shim",
                 std::string(found.status().message()).c_str());
    return 2;
  }
  binary = *found;
  MakePathsAbsolute(*options);
  if (options->exec) return cloison::monitor::RunExec(*options);
  if (!options->shim.empty()) return cloison::monitor::RunShimMonitor(*options);
  return cloison::monitor::RunContainerMonitor(*options);
}
