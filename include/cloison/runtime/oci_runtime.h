// The "oci" runtime type: an OCI runtime CLI (runc, crun, runsc) driven through one
// cloison-monitor per container, which holds the container's stdio and reports its pid over a
// sync pipe. With create_at_start (runc, crun), Create makes nothing in the runtime and Start
// spawns the monitor, which runs `<runtime> run --detach` (one runtime invocation, as
// containerd does at StartContainer); otherwise (runsc) Create spawns the monitor, which runs
// `<runtime> create`, and Start asks it to run `start`. Either way the monitor gives the runtime
// kRuntimeCreateTimeout. Kill, Delete and Update run the CLI directly (a kill that fails on a
// container `<runtime> state` reports stopped succeeds: runsc cannot signal a dead sandbox; a
// `delete --force` that fails on a container the runtime no longer knows succeeds, and on one it
// reports stopped is tried once more: runsc's can fail so while the sandbox dies);
// ExecSync runs the monitor in exec mode (with direct_exec_sync, told to enter the container
// itself when it can: include/cloison/monitor/direct_exec.h).
#pragma once

#include <string>
#include <vector>

#include "cloison/runtime/handler_table.h"
#include "cloison/runtime/monitor_launch.h"
#include "cloison/runtime/runtime.h"

namespace cloison::runtime {

struct OciRuntimeOptions {
  HandlerPrograms programs;               // the runtime CLI and cloison-monitor
  std::vector<std::string> global_args;   // --root=..., handler runtime_args, --systemd-cgroup
  bool stdio_at_start = false;            // the runtime hands stdio to the container at `start` (runsc)
  bool wait_with_runtime = false;         // the exit is observed through `<runtime> wait` (runsc)
  bool kill_exec_with_runtime = false;    // a timed-out exec is killed through `<runtime> kill --pid` (runsc)
  bool create_at_start = false;           // `<runtime> run --detach` at Start instead of create + start
  bool direct_exec_sync = false;          // ExecSync enters the container without the runtime (runc, crun)
};

class OciRuntime final : public Runtime {
 public:
  explicit OciRuntime(OciRuntimeOptions options);

  absl::StatusOr<CreateResult> Create(const CreateRequest& request) override;
  absl::StatusOr<CreateResult> Start(const CreateRequest& request) override;
  absl::Status Kill(const std::string& id, int signal) override;
  absl::Status Delete(const std::string& id) override;
  absl::StatusOr<ExecResult> ExecSync(const std::string& id, const std::string& state_dir,
                                      const std::string& process_json, std::chrono::seconds timeout) override;
  absl::Status ReopenLog(const CreateRequest& request) override;
  // `<runtime> exec --process <file> --pid-file <file> <id>`.
  absl::StatusOr<std::vector<std::string>> ExecCommand(const std::string& id, const std::string& process_file,
                                                       const std::string& pid_file) const override;
  // `<runtime> update --resources <file> <id>`.
  absl::Status Update(const std::string& id, const std::string& state_dir,
                      const std::string& resources_json) override;

 private:
  std::vector<std::string> RuntimeCommand(std::initializer_list<std::string> subcommand) const;
  std::vector<std::string> MonitorRuntimeArgs() const;
  absl::StatusOr<CreateResult> LaunchMonitor(const CreateRequest& request, bool run);
  // What `<runtime> state <id>` says of the container: unknown to the runtime (kGone), stopped,
  // created/running/paused (kLive), or nothing clear (the command failed otherwise).
  enum class KnownState { kGone, kStopped, kLive, kUnclear };
  KnownState StateOf(const std::string& id) const;
  // One `delete --force`; OK too when the runtime answers that the container is gone.
  absl::Status ForceDelete(const std::string& id);

  OciRuntimeOptions options_;
};

// Options for a handler of type "oci": runtime root and args from its config, the monitor
// beside cloisond unless configured; for runsc, --oci-seccomp and its stdio and wait quirks,
// for the others create_at_start and the handler's direct_exec_sync.
OciRuntimeOptions OciOptionsForHandler(const HandlerInfo& handler, bool systemd_cgroup);

}  // namespace cloison::runtime
