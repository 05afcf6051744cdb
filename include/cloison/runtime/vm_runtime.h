// The "vm" runtime type: a containerd shim v2 (Kata's containerd-shim-kata-v2, or
// containerd-shim-runc-v2) per pod. Create spawns cloison-monitor in shim mode (it starts or
// joins the pod's shim, owns the container's stdio, log and exit file, writes the shim's
// address to <state_dir>/shim-address, the task's pid to <state_dir>/pidfile once the shim
// created it (where recovery looks for an OCI runtime's) and the shim's own log to
// <pod_state_dir>/shim.log, which outlives the pod's containers and goes with the pod's state
// dir); Start and ReopenLog go through the monitor's ctl socket. Kill, Delete, Update and ExecSync speak ttrpc to the
// shim directly, over one cached connection per shim address, made again when it closed
// (after a shim or cloisond restart) and dropped once Delete saw its shim go. The address was reported by the shim's `start`, which
// listens before it prints it: a connect() that finds no socket or is refused there fails at
// once (the shim is dead: Kill succeeds, Delete takes the dead-shim path). Which state dir and
// bundle a container id has is kept in <runtime_root>/tasks/<id>, so the calls that get only
// an id work after a cloisond restart. Delete removes the task, then asks the shim to exit
// once it has no task left; when no other task record names that shim, Delete waits for its
// process to exit (3 s, as containerd's shim shutdown timeout; then, unless a task created
// meanwhile names it, it is killed and its socket removed). With the shim gone it runs
// `<shim> delete` (in <runtime_root>/tasks/<id>.bundle/<id>, a link to the bundle, when the
// bundle's dir is not named after the task: shims look for the task's files there, as
// containerd lays bundles out). Interactive exec (ExecCommand) is relayed by
// `cloison-monitor --shim-exec`, which talks to the container's shim itself and writes no pid
// file (the exec's pid is the shim's, maybe a VM's).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cloison/runtime/handler_table.h"
#include "cloison/runtime/monitor_launch.h"
#include "cloison/runtime/runtime.h"
#include "cloison/shim/shim_launcher.h"
#include "cloison/shim/task_client.h"
#include "cloison/shim/ttrpc_client.h"

namespace cloison::runtime {

struct VmRuntimeOptions {
  HandlerPrograms programs;  // the shim binary (runtime_path) and cloison-monitor
  std::string ns = "cloison";
  std::string shim_address;   // the shim's -address: stable across restarts
  std::string ttrpc_address;  // cloisond's shim events endpoint (TTRPC_ADDRESS)
  std::string config_path;    // runtime_config_path ("" = the shim's default)
  std::string tasks_dir;      // where the id -> state dir and bundle records live
};

class VmRuntime final : public Runtime {
 public:
  explicit VmRuntime(VmRuntimeOptions options);

  absl::StatusOr<CreateResult> Create(const CreateRequest& request) override;
  absl::StatusOr<CreateResult> Start(const CreateRequest& request) override;
  absl::Status Kill(const std::string& id, int signal) override;
  absl::Status Delete(const std::string& id) override;
  absl::StatusOr<ExecResult> ExecSync(const std::string& id, const std::string& state_dir,
                                      const std::string& process_json, std::chrono::seconds timeout) override;
  absl::Status ReopenLog(const CreateRequest& request) override;
  absl::StatusOr<std::vector<std::string>> ExecCommand(const std::string& id, const std::string& process_file,
                                                       const std::string& pid_file) const override;
  absl::Status Update(const std::string& id, const std::string& state_dir,
                      const std::string& resources_json) override;

 private:
  struct TaskPlace {
    std::string state_dir;
    std::string bundle;
  };

  absl::StatusOr<TaskPlace> FindTask(const std::string& id) const;
  // Removes the task record of `id`, and the temporary file of a write of it cut short.
  void RemoveTaskRecord(const std::string& id) const;
  // The task service of the shim serving the container whose state dir is `state_dir`.
  absl::StatusOr<shim::TaskClient> TaskService(const std::string& state_dir);
  absl::Status DeleteThroughShim(const std::string& id, const TaskPlace& place, const shim::TaskClient& tasks);
  absl::Status DeleteWithoutShim(const std::string& id, const TaskPlace& place);
  // Whether another task record names the shim at the address in `state_dir` (`id`'s own aside).
  bool OtherTasksShareShim(const std::string& id, const std::string& state_dir) const;
  // Waits for the shim of `id`, asked to exit with its last task gone; kills one that stays.
  void AwaitShimExit(const std::string& id, const shim::ShimProcess& process, const std::string& state_dir);
  // Drops the cached connection to the shim at the address in `state_dir`, which is gone.
  void ForgetConnection(const std::string& state_dir);

  const VmRuntimeOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<shim::TtrpcClient>> connections_ ABSL_GUARDED_BY(mu_);
};

// Options for a handler of type "vm": its shim binary and config path, the monitor beside
// cloisond unless configured, the shim address and events endpoint under `shim_dir`.
VmRuntimeOptions VmOptionsForHandler(const HandlerInfo& handler, const std::string& shim_dir);

// The stable -address handed to every shim, and the events endpoint cloisond serves, under
// `shim_dir` (<state>/shim).
std::string ShimAddress(const std::string& shim_dir);
std::string ShimEventsSocket(const std::string& shim_dir);

}  // namespace cloison::runtime
