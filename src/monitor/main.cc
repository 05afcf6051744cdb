// cloison-monitor: the per-container monitor cloisond starts (container mode), or the runner of
// one ExecSync call (--exec). The command line is described in include/cloison/monitor/options.h.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cloison/monitor/container_monitor.h"
#include "cloison/monitor/exec_runner.h"
#include "cloison/monitor/options.h"
#include "cloison/util/command.h"

namespace {

// The monitor changes to the bundle directory, so every path it keeps must be absolute.
void MakePathsAbsolute(cloison::monitor::MonitorOptions& options) {
  for (std::string* path : {&options.bundle, &options.log_path, &options.exit_file, &options.socket_dir,
                            &options.pid_file, &options.process_spec, &options.stdout_file,
                            &options.stderr_file}) {
    if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<cloison::monitor::MonitorOptions> options =
      cloison::monitor::ParseOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::fprintf(stderr, "cloison-monitor: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::string> runtime = cloison::util::FindExecutable(options->runtime);
  if (!runtime.ok()) {
    std::fprintf(stderr, "cloison-monitor: runtime: %s\n", std::string(runtime.status().message()).c_str());
    return 2;
  }
  options->runtime = *runtime;
  MakePathsAbsolute(*options);
  return options->exec ? cloison::monitor::RunExec(*options) : cloison::monitor::RunContainerMonitor(*options);
}
