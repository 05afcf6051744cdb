// The command line of cloison-monitor: the contract cloisond uses to start one monitor per
// container (container mode, through an OCI runtime CLI with --runtime or through a shim v2
// with --shim), one per ExecSync call (--exec), or the foreground relay of one interactive exec
// through a shim v2 (--shim-exec). Parsing only; no side effects.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cloison::monitor {

struct MonitorOptions {
  bool exec = false;
  bool shim_exec = false;  // interactive exec through a shim: --id, --shim-address, --process-spec, --state-dir
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
  // --run: create and start in one `<runtime> run --detach` (the container runs once the
  // monitor reports its pid; the ctl "start" request is refused) instead of `<runtime> create`
  // now and `<runtime> start` on the ctl socket's "start".
  bool run = false;
  // The longest `<runtime> create` (or run) may take, in seconds (0 = no limit): past it the
  // runtime and what it started (its process group: hooks) are killed and the failure reported.
  int create_timeout_seconds = 0;
  int sync_fd = 3;
  // The liveness lock cloisond took for this container (<state_dir>/monitor.lock, held while
  // this monitor lives: include/cloison/util/liveness_lock.h); -1 = none. The monitor makes it
  // close-on-exec at once, so that neither the runtime nor the container inherit it.
  int lock_fd = -1;

  // Container mode through a containerd shim v2 (vm handlers), instead of --runtime.
  std::string shim;                       // the shim binary
  std::string shim_namespace = "cloison";
  std::string shim_address;               // -address: must stay the same across restarts
  std::string shim_ttrpc_address;         // TTRPC_ADDRESS: cloisond's events endpoint
  std::string shim_config_path;           // handed to the shim as KATA_CONF_FILE ("" = none)
  std::string state_dir;                  // the container's FIFOs and shim-address
  std::string shim_log;                   // where the shim's log FIFO is drained: a pod-level file

  // Exec mode.
  std::string process_spec;
  std::string stdout_file;
  std::string stderr_file;
  int timeout_seconds = 0;  // 0 = none
  // The runtime's exec process does not end the process it started when killed (runsc): a
  // timeout kills that process inside the container with `<runtime> kill --pid N <id> KILL`,
  // N read from the runtime's --internal-pid-file.
  bool kill_with_runtime = false;
  // Enter the container without the runtime when possible (runc, crun: the container's bundle
  // is --bundle; include/cloison/monitor/direct_exec.h), else `<runtime> exec`.
  bool direct_exec = false;
};

// Parses argv without argv[0]. Values follow their flag ("--id X") or are joined with '='
// ("--id=X"); a separate value is taken as is, even when it starts with "--". INVALID_ARGUMENT
// on unknown flags, missing values or missing required flags of the chosen mode (a shim
// container wants --shim, --shim-address, --state-dir and --shim-log and no --runtime; --exec wants
// --runtime, and --bundle with --direct-exec; --shim-exec wants --shim-address, --process-spec and --state-dir).
absl::StatusOr<MonitorOptions> ParseOptions(const std::vector<std::string>& args);

// "<runtime> <runtime args...> <subcommand...>".
std::vector<std::string> RuntimeCommand(const MonitorOptions& options,
                                        const std::vector<std::string>& subcommand);

}  // namespace cloison::monitor
