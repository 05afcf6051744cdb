// Containers: CreateContainer / Start / Stop / Remove / status, list, ExecSync and log
// reopening. A container gets an overlay rootfs over its image's layers, an OCI spec built
// from its CRI config, its pod and its image, and is run by its pod's handler through
// cloison-monitor. Records persist under <root>/containers; Recover() reconciles them with
// the monitors' exit files and liveness (their liveness locks), settles the StartContainer
// calls a restart interrupted, and removes what an interrupted CreateContainer left. Calls
// on one container are serialized; Get/List never wait for a slow call.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloison/config/config.h"
#include "cloison/container/container_record.h"
#include "cloison/cri/api.h"
#include "cloison/image/image_manager.h"
#include "cloison/runtime/runtime_set.h"
#include "cloison/sandbox/sandbox_manager.h"
#include "cloison/state/record_store.h"
#include "cloison/storage/overlay_rootfs.h"

namespace cloison::container {

struct ContainerManagerOptions {
  std::string state_dir;  // <state>
  std::string root_dir;   // <root>
  bool systemd_cgroup = false;
  std::vector<std::string> available_capabilities;
  int64_t min_oom_score_adj = -1000;
  std::string seccomp_profile_root;  // Localhost seccomp profiles must be under it
};

class ContainerManager {
 public:
  ContainerManager(ContainerManagerOptions options, runtime::RuntimeSet& runtimes,
                   sandbox::SandboxManager& sandboxes, image::ImageManager& images);

  // Interrupted creates and starts are waited for until `settle_deadline`, one deadline for
  // the whole recovery pass.
  absl::Status Recover(absl::Time settle_deadline);

  // The pod's config recorded at RunPodSandbox is used; kubelet's copy in the request is not.
  // `cdi` is the [cdi] table of the configuration the call is served under (SIGHUP may change
  // it between calls).
  absl::StatusOr<std::string> Create(const std::string& pod_id, const ::runtime::v1::ContainerConfig& config,
                                     const ::runtime::v1::PodSandboxConfig& sandbox_config,
                                     const config::CdiConfig& cdi);
  absl::Status Start(const std::string& id);
  // Sends the stop signal, then SIGKILL after `timeout`. Idempotent for stopped containers.
  absl::Status Stop(const std::string& id, std::chrono::seconds timeout);
  // Force-stops a running container first. Idempotent.
  absl::Status Remove(const std::string& id);

  absl::StatusOr<ContainerRecord> Get(const std::string& id) const;
  std::vector<ContainerRecord> List() const;
  // Calls `visit` with every record, under the read lock and without copying them (the list
  // views); `visit` must not call back into the manager.
  void ForEach(absl::FunctionRef<void(const ContainerRecord&)> visit) const;
  // Calls `visit` with the record of one container under the read lock, without copying it
  // (ContainerStatus); same errors as Get. `visit` must not call back into the manager.
  absl::Status Visit(const std::string& id_or_prefix, absl::FunctionRef<void(const ContainerRecord&)> visit) const;

  // DEADLINE_EXCEEDED when `timeout` passed (the process is killed), as containerd answers.
  absl::StatusOr<runtime::ExecResult> ExecSync(const std::string& id, const std::vector<std::string>& cmd,
                                               std::chrono::seconds timeout);
  absl::Status ReopenLog(const std::string& id);
  // The container's writable layer directory (stats measure it).
  std::string WritableLayerDir(const std::string& id) const { return rootfs_.UpperDir(id); }
  // UpdateContainerResources: the runtime's `update` on a created or running container (none
  // for a created one the runtime will only make at StartContainer), then the record's config
  // and config.json's linux.resources take the new values (oom_score_adj cannot change after
  // creation and keeps its value).
  absl::Status UpdateResources(const std::string& id, const ::runtime::v1::LinuxContainerResources& resources);

  // The exit watcher's callback: records the exit of `id` if it is one of ours.
  void OnExit(const std::string& id);
  // A shim's TaskOOM event (vm handlers, whose containers may run where the monitor cannot
  // count OOM kills, as in a VM): if `id` is one of ours, its exit, recorded already or to
  // come, is OOMKilled. Kept in a marker file in the container's state dir, so an exit
  // recorded after a cloisond restart says so too.
  void OnOom(const std::string& id);

  absl::Status StopAllInPod(const std::string& pod_id);
  absl::Status RemoveAllInPod(const std::string& pod_id);

 private:
  std::shared_ptr<absl::Mutex> OperationLock(const std::string& id);
  absl::StatusOr<std::string> ResolveId(const std::string& id) const;
  std::vector<std::string> IdsInPod(const std::string& pod_id) const;
  absl::Status Save(const ContainerRecord& record);
  // Saves `record` (one of records_, changed under mu_) durably, releasing mu_ before the
  // write: List and Status readers do not wait for its fsync. Returns once it is durable.
  absl::Status SaveReleasing(const ContainerRecord& record) ABSL_UNLOCK_FUNCTION(mu_);
  // Start, while the runtime makes the container: saves its record durably as running since
  // `started_at` without pids (Recover reads those from the state dir), unless it is no longer
  // created (an exit came first).
  absl::Status SaveRunningBeforeStart(const std::string& id, int64_t started_at) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies the exit file to `record` when one exists. Returns true if it changed.
  bool ApplyExitFile(ContainerRecord& record) const;
  // Re-reads the record's exit file under mu_ and persists a change; publishes STOPPED unless
  // the container is starting_.
  void RefreshFromExitFile(const std::string& id);
  bool WaitForExit(const std::string& id, std::chrono::milliseconds timeout);
  // Stop of a created container (never started: whether only StartContainer would make it in
  // the runtime, or the runtime made it at CreateContainer): records it exited (137, as a
  // SIGKILL before the start), with nothing to kill; RemoveContainer deletes it from the runtime.
  absl::Status RecordStoppedBeforeStart(const std::string& id);
  runtime::CreateRequest RequestFor(const ContainerRecord& record) const;
  // NamespaceMode TARGET (an ephemeral container sharing its target's processes): pins the PID
  // namespace of the running container `target_id` of pod `pod_id` under `state_dir` (the new
  // container's; Discard unpins it) and returns the pin's path (target_pid_pin.h).
  absl::StatusOr<std::string> PinTargetPidNamespaceOf(const std::string& pod_id, const std::string& target_id,
                                                      const std::string& state_dir) const;
  // The error of a failed Start of `record`: the runtime's `failure`, but for a TARGET-mode
  // container whose target is no longer running, FAILED_PRECONDITION naming target_id, since the
  // runtime's own words for a PID namespace it cannot enter are obscure (runc: ENOMEM).
  absl::Status ExplainStartFailure(const ContainerRecord& record, const absl::Status& failure) const;
  std::string ExitFile(const std::string& id) const;
  static std::string OomMarker(const ContainerRecord& record);
  absl::Status Discard(ContainerRecord& record);
  // Recover: discards what an interrupted CreateContainer left, once the monitor the call
  // spawned (runsc, vm handlers) has made the container or ended, or `deadline` has passed.
  void DiscardInterruptedCreate(ContainerRecord& record, absl::Time deadline);

  // Recover: brings `record` up to date with its exit file and its monitor. A StartContainer
  // that cloisond's end interrupted (its monitor's liveness lock or pid file is in the state
  // dir) is waited for until `deadline`: a `running` record gets the pids its runtime made;
  // otherwise it is exited with a StartError once the runtime's Delete removed what it may
  // have made, done once no monitor is still running the runtime for it (a `created` record
  // whose monitor made the container is deleted too: its StartContainer never answered).
  // kUnderWay (record untouched) when its monitor still runs the runtime at `deadline`; a
  // container whose monitor is gone is exited with an unknown status.
  enum class Reconciled { kUnchanged, kChanged, kUnderWay };
  Reconciled Reconcile(ContainerRecord& record, absl::Time deadline);
  // Deletes what an interrupted StartContainer may have made and records its StartError.
  void RecordStartCutShort(ContainerRecord& record);
  // After Recover, on start_settler_: reconciles the starts still under way as they settle
  // (their Start and Stop are refused meanwhile).
  void SettleStartsUnderWay(const std::stop_token& stop);
  absl::Status RefuseWhileStartUnderWay(const std::string& id) const;

  ContainerManagerOptions options_;
  runtime::RuntimeSet& runtimes_;
  sandbox::SandboxManager& sandboxes_;
  image::ImageManager& images_;
  storage::OverlayRootfs rootfs_;
  state::RecordStore store_;

  mutable absl::Mutex mu_;
  std::map<std::string, ContainerRecord> records_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> reserved_names_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<absl::Mutex>> op_locks_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> starts_under_way_ ABSL_GUARDED_BY(mu_);
  // The containers whose Start is in the runtime's hands: an exit recorded meanwhile is published
  // (STOPPED) by that Start once it knows how the start went, after its STARTED.
  std::set<std::string> starting_ ABSL_GUARDED_BY(mu_);
  // Held around every write and deletion of a record file, taken after mu_ when both are held:
  // an exit is recorded in memory under mu_, and its file is written once mu_ is released
  // (StopContainer and the lists do not wait for that fsync) but still before any later
  // change of the same record reaches the store.
  absl::Mutex save_mu_ ABSL_ACQUIRED_AFTER(mu_);
  // Last: stopped and joined first on destruction.
  std::jthread start_settler_;
};

}  // namespace cloison::container
