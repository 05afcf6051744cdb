// Pod sandboxes: RunPodSandbox / StopPodSandbox / RemovePodSandbox / status and list. A pod
// owns pinned namespaces (its own user namespace too when it asks for one and its handler
// supports it), its CNI network (network_manager.h; none with host network), pod
// files (hostname, hosts with the pod IPs, resolv.conf), a /dev/shm tmpfs and, when its PID
// namespace is shared or its handler asks for one, an infra container running cloison-pause. Records persist under <root>/sandboxes; Recover() reloads them and releases
// what an interrupted RunPodSandbox left behind. Calls on different pods run in parallel,
// calls on one pod are serialized, and Get/List never wait for a slow call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloison/cri/api.h"
#include "cloison/network/network_manager.h"
#include "cloison/oci/user_namespace.h"
#include "cloison/runtime/runtime_set.h"
#include "cloison/sandbox/pod_event_hub.h"
#include "cloison/sandbox/sandbox_record.h"
#include "cloison/state/record_store.h"

namespace cloison::sandbox {

struct SandboxManagerOptions {
  std::string state_dir;      // <state>
  std::string root_dir;       // <root>
  std::string pause_binary;   // cloison-pause
  bool systemd_cgroup = false;
  std::vector<std::string> available_capabilities;
  int64_t min_oom_score_adj = -1000;
  std::string seccomp_profile_root;  // Localhost seccomp profiles of infra containers
};

// A CreateContainer's hold on a ready pod (SandboxManager::HoldReady): while it lives,
// StopPodSandbox, RemovePodSandbox and UpdatePodSandboxResources of that pod wait, so that the
// container is recorded before they list the pod's containers, or not made at all. Holds on one
// pod do not exclude each other.
class ReadyPodHold {
 public:
  // `lock`, the pod's operation lock, is held for reading; the hold releases it.
  ReadyPodHold(std::shared_ptr<absl::Mutex> lock, SandboxRecord record)
      : lock_(std::move(lock)), record_(std::move(record)) {}
  ReadyPodHold(ReadyPodHold&&) = default;
  ReadyPodHold& operator=(ReadyPodHold&&) = delete;
  ~ReadyPodHold() {
    if (lock_) lock_->ReaderUnlock();
  }

  // The pod's record as it was when the hold was taken.
  const SandboxRecord& record() const { return record_; }

 private:
  std::shared_ptr<absl::Mutex> lock_;
  SandboxRecord record_;
};

class SandboxManager {
 public:
  SandboxManager(SandboxManagerOptions options, runtime::RuntimeSet& runtimes, network::NetworkManager& network);

  // Loads the records; releases the resources of pods whose creation was interrupted (their
  // infra container once its monitor has made it or ended, or `settle_deadline` has passed,
  // one deadline for the whole recovery pass), and whatever is still mounted under their dirs.
  absl::Status Recover(absl::Time settle_deadline);

  absl::StatusOr<std::string> Run(const ::runtime::v1::PodSandboxConfig& config, const std::string& handler);
  // Stops the pod's containers (through the hook) and its infra container, and releases its
  // network (CNI DEL); namespaces and /dev/shm stay until Remove. Idempotent; NOT_FOUND for an
  // unknown pod.
  absl::Status Stop(const std::string& id);
  // Stops, removes the pod's containers (hook) and everything the pod owns. Idempotent.
  absl::Status Remove(const std::string& id);

  // UpdatePodSandboxResources: records the pod's new overhead and resources and applies them to
  // the pod cgroup where cloison created it (pod_cgroup.h). NOT_FOUND for an unknown pod.
  absl::Status UpdateResources(const std::string& id, const ::runtime::v1::LinuxContainerResources& overhead,
                               const ::runtime::v1::LinuxContainerResources& resources);
  // Holds pod `id` (full id or unique prefix) for a CreateContainer once no StopPodSandbox,
  // RemovePodSandbox or UpdatePodSandboxResources runs on it: NOT_FOUND when it is gone by then,
  // FAILED_PRECONDITION naming pod_sandbox_id when it is not ready.
  absl::StatusOr<ReadyPodHold> HoldReady(const std::string& id);
  // By full id or unique id prefix.
  absl::StatusOr<SandboxRecord> Get(const std::string& id) const;
  std::vector<SandboxRecord> List() const;
  // Calls `visit` with every record, under the read lock and without copying them (the list
  // views); `visit` must not call back into the manager.
  void ForEach(absl::FunctionRef<void(const SandboxRecord&)> visit) const;

  // CNI CHECK of the pod's network (NetworkManager::CheckPod); OK for host-network pods.
  // UNAVAILABLE rather than waiting while a StopPodSandbox, RemovePodSandbox or
  // UpdatePodSandboxResources works on the pod (CreateContainer calls do not keep it waiting).
  absl::Status CheckNetwork(const std::string& id);

  // The node's pod CIDR for the CNI ipRanges capability (NetworkManager::SetPodCidr).
  absl::Status SetPodCidr(const std::string& pod_cidr) { return network_.SetPodCidr(pod_cidr); }

  // Called by the exit watcher for any container id; true when it was an infra container.
  bool OnContainerExit(const std::string& container_id);

  // The lifecycle events of the pods and their containers (GetContainerEvents): this manager
  // publishes the pods' own, the container manager its containers'.
  PodEventHub& Events() { return events_; }

  using PodHook = std::function<absl::Status(const std::string& pod_id)>;
  void SetContainerHooks(PodHook stop_all, PodHook remove_all);

 private:
  std::shared_ptr<absl::Mutex> OperationLock(const std::string& id);
  // Runs `operation` on the record of pod `id_or_prefix` read under the pod's operation lock,
  // held until it returns (the pod's other Stop, Remove and UpdateResources calls wait); its
  // answer, or NOT_FOUND when no pod has that id.
  absl::Status WithPodLocked(const std::string& id_or_prefix,
                             absl::FunctionRef<absl::Status(const SandboxRecord&)> operation);
  absl::StatusOr<std::string> ResolveIdLocked(const std::string& id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> ResolveId(const std::string& id) const ABSL_LOCKS_EXCLUDED(mu_);
  // A record no other thread writes yet (Run, Recover).
  absl::Status Save(const SandboxRecord& record);
  // Applies `change` to the stored record `id` under mu_ and saves the result (SaveReleasing).
  // Callers change only the fields they own: an infra exit may have changed others meanwhile.
  // NOT_FOUND when the pod is gone.
  absl::Status Update(const std::string& id, absl::FunctionRef<void(SandboxRecord&)> change) ABSL_LOCKS_EXCLUDED(mu_);
  // Saves `record` (one of records_, changed under mu_), releasing mu_ before the write: Get and
  // List do not wait for its fsync.
  absl::Status SaveReleasing(const SandboxRecord& record) ABSL_UNLOCK_FUNCTION(mu_);
  absl::Status StartInfraContainer(SandboxRecord& record, const runtime::ResolvedHandler& handler);
  absl::Status StopInfraContainer(const SandboxRecord& record);
  absl::Status ReleaseNodeResources(SandboxRecord& record);
  // Recover of a `creating` record: releases what it names, once its infra container's monitor
  // (if any) has made it or ended or `deadline` has passed, and unmounts what is left under the
  // pod's dir; the record stays (for the next start) when something could not be released.
  void ReleaseInterruptedRun(SandboxRecord& record, absl::Time deadline);
  void Publish(const SandboxRecord& record);
  std::string ExitFile(const std::string& container_id) const;

  SandboxManagerOptions options_;
  runtime::RuntimeSet& runtimes_;
  network::NetworkManager& network_;
  state::RecordStore store_;
  PodHook stop_containers_;
  PodHook remove_containers_;

  mutable absl::Mutex mu_;
  std::map<std::string, SandboxRecord> records_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> reserved_names_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<absl::Mutex>> op_locks_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> stopping_ ABSL_GUARDED_BY(mu_);  // pods a StopPodSandbox is stopping
  // Held around every write and deletion of a stored record's file, taken before mu_ is
  // released (after mu_ when both are held): the writes of one record follow its changes in
  // order, and none follows its deletion.
  absl::Mutex save_mu_ ABSL_ACQUIRED_AFTER(mu_);
  PodEventHub events_;
};

// "name_namespace_uid_attempt": two RunPodSandbox calls with the same key are one pod.
std::string SandboxNameKey(const ::runtime::v1::PodSandboxMetadata& metadata);

// The pod's user namespace (oci/user_namespace.h): nullopt for the host's, else its validated
// mappings; mode POD with the host's PID or IPC namespace is INVALID_ARGUMENT naming the field.
// Containers of the pod read it from the pod's config too.
absl::StatusOr<std::optional<oci::UserNamespaceMappings>> PodUserNamespace(
    const ::runtime::v1::PodSandboxConfig& config);

}  // namespace cloison::sandbox
