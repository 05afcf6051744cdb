// The command line of cloison-monitor: the contract cloisond uses to start one monitor per
// container (container mode) or one per ExecSync call (--exec). Parsing only; no side effects.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cloison::monitor {

struct MonitorOptions {
  bool exec = false;
  std::string id;
  std::string runtime;
  std::vector<std::string> runtime_args;  // placed before the runtime's subcommand
  bool tty = false;

  // Container mode.
  std::string bundle;
  std::string log_path;
  std::string exit_file;
  std::string socket_dir;
  std::string pid_file;  // the monitor's own pid
  bool stdin_open = false;
  bool stdin_once = false;
  bool stdio_at_start = false;
  bool wait_with_runtime = false;
  int sync_fd = 3;

  // Exec mode.
  std::string process_spec;
  std::string stdout_file;
  std::string stderr_file;
  int timeout_seconds = 0;  // 0 = none
  // The runtime's exec process does not end the process it started when killed (runsc): a
  // timeout kills that process inside the container with `<runtime> kill --pid N <id> KILL`,
  // N read from the runtime's --internal-pid-file.
  bool kill_with_runtime = false;
};

// Parses argv without argv[0]. Values follow their flag ("--id X") or are joined with '='
// ("--id=X"); a separate value is taken as is, even when it starts with "--". INVALID_ARGUMENT
// on unknown flags, missing values or missing required flags of the chosen mode.
absl::StatusOr<MonitorOptions> ParseOptions(const std::vector<std::string>& args);

// "<runtime> <runtime args...> <subcommand...>".
std::vector<std::string> RuntimeCommand(const MonitorOptions& options,
                                        const std::vector<std::string>& subcommand);

}  // namespace cloison::monitor
