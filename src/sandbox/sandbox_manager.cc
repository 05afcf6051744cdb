#include "cloison/sandbox/sandbox_manager.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/oci/cgroups_path.h"
#include "cloison/oci/namespaces.h"
#include "cloison/oci/spec_builder.h"
#include "cloison/oci/user_namespace.h"
#include "cloison/runtime/leftover_cgroup.h"
#include "cloison/runtime/monitor_settling.h"
#include "cloison/runtime/runsc_quirks.h"
#include "cloison/runtime/socket_dir.h"
#include "cloison/sandbox/namespace_pinner.h"
#include "cloison/sandbox/pause_rootfs.h"
#include "cloison/sandbox/pod_cgroup.h"
#include "cloison/sandbox/pod_files.h"
#include "cloison/sandbox/pod_handler.h"
#include "cloison/sandbox/pod_readiness.h"
#include "cloison/sandbox/shm.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/ids.h"
#include "cloison/util/logging.h"
#include "cloison/util/mount_point.h"
#include "cloison/util/pid_file.h"
#include "cloison/util/unix_socket.h"

namespace cloison::sandbox {
namespace {

namespace v1 = ::runtime::v1;

constexpr std::chrono::seconds kInfraStopGrace{10};

absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

// The infra container's bundle and its monitor's state dir.
std::string InfraDir(const SandboxRecord& record) { return record.dir + "/infra"; }

// Where the pod's namespaces are pinned.
std::string NamespaceDir(const SandboxRecord& record) { return record.dir + "/ns"; }

std::string HostHostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

// Erases `key` from `names` under `mu` when destroyed: what a call announced there (a pod name
// it is creating, a pod it is stopping) ends with the call, whichever way it returns.
class EraseOnExit {
 public:
  EraseOnExit(absl::Mutex& mu, std::set<std::string>& names, std::string key)
      : mu_(mu), names_(names), key_(std::move(key)) {}
  ~EraseOnExit() {
    absl::MutexLock lock(&mu_);
    names_.erase(key_);
  }
  EraseOnExit(const EraseOnExit&) = delete;
  EraseOnExit& operator=(const EraseOnExit&) = delete;

 private:
  absl::Mutex& mu_;
  std::set<std::string>& names_;
  const std::string key_;
};

}  // namespace

absl::StatusOr<std::optional<oci::UserNamespaceMappings>> PodUserNamespace(const v1::PodSandboxConfig& config) {
  const v1::NamespaceOption& ns = config.linux().security_context().namespace_options();
  const std::string prefix = "config.linux.security_context";
  absl::StatusOr<std::optional<oci::UserNamespaceMappings>> userns = oci::PodUserNamespace(&ns, prefix);
  if (!userns.ok() || !userns->has_value()) return userns;
  // The kernel lets a user namespace mount proc or mqueue only for PID and IPC namespaces it
  // owns (kubelet refuses hostPID and hostIPC with hostUsers: false too). The host network
  // is fine: /sys is then bound from the host (oci/mounts.h).
  if (ns.pid() == v1::NamespaceMode::NODE) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ".namespace_options.pid: NODE cannot be combined with "
                                                   "userns_options.mode POD"));
  }
  if (ns.ipc() == v1::NamespaceMode::NODE) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ".namespace_options.ipc: NODE cannot be combined with "
                                                   "userns_options.mode POD"));
  }
  return userns;
}

std::string SandboxNameKey(const v1::PodSandboxMetadata& metadata) {
  return absl::StrCat(metadata.name(), "_", metadata.namespace_(), "_", metadata.uid(), "_", metadata.attempt());
}

SandboxManager::SandboxManager(SandboxManagerOptions options, runtime::RuntimeSet& runtimes,
                               network::NetworkManager& network)
    : options_(std::move(options)), runtimes_(runtimes), network_(network), store_(options_.root_dir + "/sandboxes") {}

void SandboxManager::SetContainerHooks(PodHook stop_all, PodHook remove_all) {
  stop_containers_ = std::move(stop_all);
  remove_containers_ = std::move(remove_all);
}

std::string SandboxManager::ExitFile(const std::string& container_id) const {
  return absl::StrCat(options_.state_dir, "/exits/", container_id);
}

std::shared_ptr<absl::Mutex> SandboxManager::OperationLock(const std::string& id) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<absl::Mutex>& entry = op_locks_[id];
  if (!entry) entry = std::make_shared<absl::Mutex>();
  return entry;
}

absl::Status SandboxManager::Save(const SandboxRecord& record) {
  return store_.Save(record.id, SandboxRecordToJson(record));
}

absl::Status SandboxManager::SaveReleasing(const SandboxRecord& record) {
  const std::string id = record.id;
  const nlohmann::json json = SandboxRecordToJson(record);
  save_mu_.Lock();
  mu_.Unlock();
  const absl::Status saved = store_.Save(id, json);
  save_mu_.Unlock();
  return saved;
}

absl::Status SandboxManager::Update(const std::string& id, absl::FunctionRef<void(SandboxRecord&)> change) {
  mu_.Lock();
  const auto it = records_.find(id);
  if (it == records_.end()) {
    mu_.Unlock();
    return absl::NotFoundError(absl::StrCat("pod sandbox \"", id, "\" not found"));
  }
  change(it->second);
  return SaveReleasing(it->second);
}

void SandboxManager::Publish(const SandboxRecord& record) {
  absl::MutexLock lock(&mu_);
  records_[record.id] = record;
}

absl::Status SandboxManager::Recover(absl::Time settle_deadline) {
  if (absl::Status s = store_.Start(); !s.ok()) return s;
  std::map<std::string, std::string> errors;
  for (const auto& [id, json] : store_.LoadAll(&errors)) {
    absl::StatusOr<SandboxRecord> record = SandboxRecordFromJson(json);
    if (!record.ok()) {
      spdlog::error("skipping sandbox record {}: {}", id, record.status().message());
      continue;
    }
    if (record->state == SandboxState::kCreating) {
      spdlog::warn("pod sandbox {}: RunPodSandbox was interrupted; releasing what it left", id);
      ReleaseInterruptedRun(*record, settle_deadline);
      continue;
    }
    // Its infra container ended while cloisond was away: its monitor recorded the exit, or is
    // gone without a word (its liveness lock free or, after a reboot, gone with the state dir).
    if (record->infra_running && !record->infra_container_id.empty() &&
        (access(ExitFile(record->infra_container_id).c_str(), F_OK) == 0 ||
         !runtime::MonitorLives(InfraDir(*record), util::ReadPidFile(InfraDir(*record) + "/monitor.pid")))) {
      record->infra_running = false;
    }
    if (DemoteIfWallMissing(*record)) (void)Save(*record);
    Publish(*record);
  }
  for (const auto& [path, reason] : errors) spdlog::error("unreadable sandbox record {}: {}", path, reason);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SandboxManager::Run(const v1::PodSandboxConfig& config, const std::string& handler_name) {
  const v1::PodSandboxMetadata& metadata = config.metadata();
  if (metadata.name().empty()) return absl::InvalidArgumentError("config.metadata.name is empty");
  if (metadata.namespace_().empty()) return absl::InvalidArgumentError("config.metadata.namespace is empty");
  if (metadata.uid().empty()) return absl::InvalidArgumentError("config.metadata.uid is empty");
  absl::StatusOr<std::optional<oci::UserNamespaceMappings>> userns = PodUserNamespace(config);
  if (!userns.ok()) return userns.status();
  absl::StatusOr<std::string> selected = PodHandlerName(config, handler_name, runtimes_.untrusted_name());
  if (!selected.ok()) return selected.status();
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(*selected);
  if (!handler.ok()) return WithContext(handler.status(), "runtime_handler");
  if (userns->has_value() && !handler->info.features.user_namespaces) {
    return absl::FailedPreconditionError(absl::StrCat(
        "config.linux.security_context.namespace_options.userns_options.mode: POD: runtime handler \"",
        handler->name, "\" does not support user namespaces (Status reports features.user_namespaces = false)"));
  }

  const std::string key = SandboxNameKey(metadata);
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, existing] : records_) {
      if (SandboxNameKey(existing.config.metadata()) == key) {
        return absl::AlreadyExistsError(absl::StrCat("pod sandbox ", key, " already exists as ", id));
      }
    }
    if (!reserved_names_.insert(key).second) {
      return absl::AlreadyExistsError(absl::StrCat("pod sandbox ", key, " is being created"));
    }
  }
  const EraseOnExit unreserve(mu_, reserved_names_, key);

  SandboxRecord record;
  record.id = util::NewObjectId();
  record.config = config;
  record.runtime_handler = handler->name;
  record.created_at_ns = util::NowNanos();
  record.dir = absl::StrCat(options_.state_dir, "/sandboxes/", record.id);
  const v1::NamespaceOption& ns = config.linux().security_context().namespace_options();
  record.host_network = ns.network() == v1::NamespaceMode::NODE;
  record.host_ipc = ns.ipc() == v1::NamespaceMode::NODE;
  record.host_pid = ns.pid() == v1::NamespaceMode::NODE;
  record.cgroup_parent = config.linux().cgroup_parent();
  absl::StatusOr<std::vector<std::string>> cgroups_to_make = MissingPodCgroupDirs(config.linux());
  if (!cgroups_to_make.ok()) return cgroups_to_make.status();
  record.created_cgroups = *std::move(cgroups_to_make);
  // The crash-recovery marker: Recover releases what it names (the cgroups, named before they
  // are made; the infra container, named before it is made) and unmounts whatever is mounted
  // under the pod's dir (the namespace pins, /dev/shm). The CNI attachment needs no mark:
  // NetworkManager caches it before ADD, and DEL goes by the pod id.
  const auto mark = [&] { return store_.SaveMarker(record.id, SandboxRecordToJson(record)); };
  if (absl::Status s = mark(); !s.ok()) return s;

  auto fail = [&](const absl::Status& status) {
    (void)ReleaseNodeResources(record);
    std::error_code ec;
    std::filesystem::remove_all(record.dir, ec);
    (void)store_.Delete(record.id);
    return status;
  };
  if (absl::Status s = util::MakeDirs(record.dir, 0711); !s.ok()) return fail(s);

  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config.linux());
  if (!cgroup.ok()) {
    record.created_cgroups.clear();  // it removed what it made
    return fail(cgroup.status());
  }
  if (cgroup->created != record.created_cgroups) {  // another call made some of them meanwhile
    record.created_cgroups = cgroup->created;
    if (absl::Status s = mark(); !s.ok()) return fail(s);
  }

  PinRequest pin;
  pin.network = !record.host_network;
  pin.ipc = !record.host_ipc;
  pin.uts = !record.host_network;
  pin.hostname = record.host_network ? "" : config.hostname();
  pin.sysctls = {config.linux().sysctls().begin(), config.linux().sysctls().end()};
  pin.dir = NamespaceDir(record);
  if (userns->has_value()) {
    pin.user = true;
    pin.uid_map = oci::IdMapFileText((*userns)->uids);
    pin.gid_map = oci::IdMapFileText((*userns)->gids);
  }
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(pin);
  if (!pinned.ok()) return fail(pinned.status());
  record.netns_path = pinned->network;
  record.ipcns_path = pinned->ipc;
  record.utsns_path = pinned->uts;
  record.userns_path = pinned->user;

  if (!record.host_network) {
    absl::StatusOr<std::vector<std::string>> ips = network_.SetUpPod(record.id, record.netns_path, config);
    if (!ips.ok()) return fail(WithContext(ips.status(), "setting up the pod network"));
    record.pod_ips = *ips;
  }

  PodFilesSpec files_spec;
  files_spec.hostname = record.host_network || config.hostname().empty() ? HostHostname() : config.hostname();
  files_spec.pod_ips = record.pod_ips;
  files_spec.dns_config = config.dns_config();
  files_spec.host_network = record.host_network;
  absl::StatusOr<PodFilePaths> files = WritePodFiles(record.dir, files_spec);
  if (!files.ok()) return fail(files.status());
  record.hostname_path = files->hostname;
  record.hosts_path = files->hosts;
  record.resolv_path = files->resolv_conf;

  if (!record.host_ipc) {
    record.shm_path = record.dir + "/shm";
    if (absl::Status s = MountShm(record.shm_path); !s.ok()) {
      record.shm_path.clear();
      return fail(s);
    }
  }

  if (SharesPidNamespace(record) || handler->info.config.sandbox_mode == config::SandboxMode::kInfra) {
    if (absl::Status s = StartInfraContainer(record, *handler); !s.ok()) {
      return fail(WithContext(s, "starting the pod's infra container"));
    }
  }
  record.state = SandboxState::kReady;
  if (absl::Status s = Save(record); !s.ok()) return fail(s);
  {
    // Stored and announced in one step, so that an infra exit's STOPPED follows these.
    absl::MutexLock lock(&mu_);
    records_[record.id] = record;
    for (PodEventType type : {PodEventType::kCreated, PodEventType::kStarted}) events_.Publish(type, record.id, record.id);
  }
  // An infra container that exited before the pod was stored here went unnoticed by OnContainerExit.
  if (record.infra_running && access(ExitFile(record.infra_container_id).c_str(), F_OK) == 0) {
    (void)OnContainerExit(record.infra_container_id);
  }
  spdlog::info("pod sandbox {} ({}) ready on handler {}", record.id, key, record.runtime_handler);
  return record.id;
}

absl::Status SandboxManager::StartInfraContainer(SandboxRecord& record, const runtime::ResolvedHandler& handler) {
  const std::string rootfs = options_.state_dir + "/pause-rootfs";
  if (absl::Status s = BuildPauseRootfs(options_.pause_binary, rootfs); !s.ok()) return s;
  // The infra container is the sandbox (as in containerd and CRI-O): its id is the pod's, so
  // the sandbox-id annotation of every container names the container runsc and Kata group
  // them around.
  record.infra_container_id = record.id;
  const std::string infra_dir = InfraDir(record);
  if (absl::Status s = util::MakeDirs(infra_dir, 0700); !s.ok()) return s;
  if (absl::Status s = store_.SaveMarker(record.id, SandboxRecordToJson(record)); !s.ok()) {
    return s;  // so recovery can delete it
  }

  oci::ContainerSpecInput input;
  input.container_id = record.infra_container_id;
  input.sandbox_id = record.id;
  input.sandbox_config = &record.config;
  input.rootfs = rootfs;
  input.namespaces.network = record.netns_path;
  input.namespaces.ipc = record.ipcns_path;
  input.namespaces.uts = record.utsns_path;
  input.namespaces.host_network = record.host_network;
  input.namespaces.host_ipc = record.host_ipc;
  input.namespaces.host_pid = record.host_pid;
  input.namespaces.user = record.userns_path;
  absl::StatusOr<std::optional<oci::UserNamespaceMappings>> userns = PodUserNamespace(record.config);
  if (!userns.ok()) return userns.status();
  input.user_namespace = *userns;
  input.cgroups_path = oci::ContainerCgroupsPath(record.cgroup_parent, record.infra_container_id, options_.systemd_cgroup);
  input.hostname = record.config.hostname();
  input.available_capabilities = runtime::GrantableCapabilities(handler.info, options_.available_capabilities);
  input.min_oom_score_adj = options_.min_oom_score_adj;
  input.privileged_without_host_devices = handler.info.config.privileged_without_host_devices;
  input.allowed_annotations = handler.info.config.allowed_annotations;
  input.sandbox_container = true;
  input.seccomp_profile_root = options_.seccomp_profile_root;
  input.host_lsms = oci::DetectHostLsms();
  absl::StatusOr<nlohmann::json> spec = oci::BuildContainerSpec(input);
  if (!spec.ok()) return spec.status();
  if (absl::Status s = util::ReplaceFile(infra_dir + "/config.json", spec->dump(), 0600); !s.ok()) return s;

  runtime::CreateRequest request;
  request.id = record.infra_container_id;
  request.bundle = infra_dir;
  request.state_dir = infra_dir;
  request.pod_state_dir = record.dir;
  request.socket_dir = runtime::MonitorSocketDir(options_.state_dir, record.infra_container_id);
  request.exit_file = ExitFile(record.infra_container_id);
  absl::StatusOr<runtime::CreateResult> created = handler.runtime->Create(request);
  if (!created.ok()) return created.status();
  absl::StatusOr<runtime::CreateResult> started = handler.runtime->Start(request);
  if (!started.ok()) return started.status();
  record.infra_pid = started->pid > 0 ? started->pid : created->pid;  // whichever made the process
  record.infra_running = true;
  if (SharesPidNamespace(record)) {
    absl::StatusOr<std::string> pidns = PinPidNamespace(record.infra_pid, NamespaceDir(record));
    if (!pidns.ok()) return pidns.status();
    record.pidns_path = *pidns;
  }
  return absl::OkStatus();
}

void SandboxManager::ReleaseInterruptedRun(SandboxRecord& record, absl::Time deadline) {
  // The infra container's monitor may still be making it: the Delete waits until it has made
  // it or ended, so that it is not made after the Delete.
  if (!record.infra_container_id.empty()) {
    runtime::SettleBeforeDelete(InfraDir(record), deadline,
                                absl::StrCat("the infra container of pod sandbox ", record.id));
  }
  absl::Status released = ReleaseNodeResources(record);
  // What the call mounted but had not recorded yet (namespace pins, /dev/shm).
  released.Update(util::DetachMountsUnder(record.dir));
  if (!released.ok()) {
    spdlog::error("pod sandbox {}: {}; its record stays for the next start to try again", record.id, released);
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(record.dir, ec);
  if (ec) spdlog::warn("pod sandbox {}: removing {}: {}", record.id, record.dir, ec.message());
  (void)store_.Delete(record.id);
}

absl::Status SandboxManager::StopInfraContainer(const SandboxRecord& record) {
  if (record.infra_container_id.empty() || !record.infra_running) return absl::OkStatus();
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record.runtime_handler);
  if (!handler.ok()) return handler.status();
  const std::string exit_file = ExitFile(record.infra_container_id);
  (void)handler->runtime->Kill(record.infra_container_id, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kInfraStopGrace;
  while (access(exit_file.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < deadline) {
    usleep(20000);
  }
  if (access(exit_file.c_str(), F_OK) != 0) (void)handler->runtime->Kill(record.infra_container_id, SIGKILL);
  return absl::OkStatus();
}

absl::Status SandboxManager::ReleaseNodeResources(SandboxRecord& record) {
  absl::Status result;
  if (!record.infra_container_id.empty()) {
    if (absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record.runtime_handler); handler.ok()) {
      const absl::Status deleted = handler->runtime->Delete(record.infra_container_id);
      if (deleted.ok()) {
        runtime::KillMonitor(InfraDir(record), record.infra_container_id);
        runtime::RemoveLeftoverCgroup(InfraDir(record), record.infra_container_id);
      }
      result.Update(deleted);
    }
    runtime::RemoveExitFiles(ExitFile(record.infra_container_id));
    std::error_code ec;
    std::filesystem::remove_all(runtime::MonitorSocketDir(options_.state_dir, record.infra_container_id), ec);
    record.infra_running = false;
  }
  if (!record.shm_path.empty()) {
    result.Update(UnmountShm(record.shm_path));
  }
  if (!record.created_cgroups.empty()) {
    PodCgroup cgroup{record.cgroup_parent, false, record.created_cgroups};
    if (absl::Status s = RemovePodCgroup(cgroup); s.ok()) {
      record.created_cgroups.clear();
    } else {
      result.Update(s);
    }
  }
  // CNI DEL while the network namespace is still pinned (a no-op when ADD never ran).
  if (absl::Status s = network_.TearDownPod(record.id); s.ok()) {
    record.pod_ips.clear();
  } else {
    result.Update(WithContext(s, "tearing down the pod network"));
  }
  PinnedNamespaces pinned{record.netns_path, record.ipcns_path, record.utsns_path, record.userns_path,
                          record.pidns_path};
  if (absl::Status s = UnpinNamespaces(pinned); s.ok()) {
    record.netns_path.clear();
    record.ipcns_path.clear();
    record.utsns_path.clear();
    record.userns_path.clear();
    record.pidns_path.clear();
  } else {
    result.Update(s);
  }
  return result;
}

absl::Status SandboxManager::WithPodLocked(const std::string& id_or_prefix,
                                           absl::FunctionRef<absl::Status(const SandboxRecord&)> operation) {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (!id.ok()) return id.status();
  std::shared_ptr<absl::Mutex> op = OperationLock(*id);
  absl::MutexLock op_lock(op.get());
  absl::StatusOr<SandboxRecord> record = Get(*id);
  if (!record.ok()) return record.status();
  return operation(*record);
}

absl::Status SandboxManager::Stop(const std::string& id_or_prefix) {
  return WithPodLocked(id_or_prefix, [&](const SandboxRecord& record) {
    const std::string& id = record.id;
    {
      // Its infra container's exit is this call's doing from here on (OnContainerExit).
      absl::MutexLock lock(&mu_);
      stopping_.insert(id);
    }
    const EraseOnExit stopping_done(mu_, stopping_, id);
    if (stop_containers_) {
      if (absl::Status s = stop_containers_(id); !s.ok()) return WithContext(s, "stopping the pod's containers");
    }
    if (absl::Status s = StopInfraContainer(record); !s.ok()) return s;
    // The pod's IPs go back now (CNI DEL, idempotent); the namespaces and /dev/shm stay until
    // RemovePodSandbox: containers that were stopped may still be inspected, and kubelet removes
    // the pod right after.
    if (absl::Status s = network_.TearDownPod(id); !s.ok()) return WithContext(s, "tearing down the pod network");
    return Update(id, [&](SandboxRecord& stored) {
      // An infra exit may have made it NOTREADY (and announced it) already.
      const bool was_ready = stored.state == SandboxState::kReady;
      stored.state = SandboxState::kNotReady;
      stored.infra_running = false;
      stored.pod_ips.clear();
      if (was_ready) events_.Publish(PodEventType::kStopped, id, id);
    });
  });
}

absl::Status SandboxManager::UpdateResources(const std::string& id_or_prefix,
                                             const v1::LinuxContainerResources& overhead,
                                             const v1::LinuxContainerResources& resources) {
  return WithPodLocked(id_or_prefix, [&](const SandboxRecord& record) {
    v1::LinuxPodSandboxConfig pod_linux = record.config.linux();
    *pod_linux.mutable_overhead() = overhead;
    *pod_linux.mutable_resources() = resources;
    const PodCgroup cgroup{record.cgroup_parent, absl::EndsWith(record.cgroup_parent, ".slice"),
                           record.created_cgroups};
    if (absl::Status s = UpdatePodCgroup(cgroup, pod_linux); !s.ok()) return s;
    return Update(record.id, [&](SandboxRecord& stored) {
      *stored.config.mutable_linux()->mutable_overhead() = overhead;
      *stored.config.mutable_linux()->mutable_resources() = resources;
    });
  });
}

absl::Status SandboxManager::Remove(const std::string& id_or_prefix) {
  absl::StatusOr<std::string> resolved = ResolveId(id_or_prefix);
  if (absl::IsNotFound(resolved.status())) return absl::OkStatus();  // removal is idempotent
  if (!resolved.ok()) return resolved.status();
  const std::string id = *std::move(resolved);
  std::shared_ptr<absl::Mutex> op = OperationLock(id);
  absl::MutexLock op_lock(op.get());
  absl::StatusOr<SandboxRecord> record = Get(id);
  if (!record.ok()) return absl::OkStatus();
  if (remove_containers_) {
    if (absl::Status s = remove_containers_(id); !s.ok()) return WithContext(s, "removing the pod's containers");
  }
  if (absl::Status s = StopInfraContainer(*record); !s.ok()) return s;
  if (absl::Status s = ReleaseNodeResources(*record); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::remove_all(record->dir, ec);
  {
    // An infra exit taken in from now on writes nothing (OnContainerExit): the file goes next.
    absl::MutexLock lock(&mu_);
    if (const auto it = records_.find(id); it != records_.end()) it->second.infra_running = false;
  }
  {
    absl::MutexLock lock(&save_mu_);  // after the write of an exit taken in before
    if (absl::Status s = store_.Delete(id); !s.ok()) return s;
  }
  absl::MutexLock lock(&mu_);
  record->state = SandboxState::kNotReady;
  events_.Publish(PodEventType::kDeleted, id, id, std::make_shared<const SandboxRecord>(std::move(*record)));
  records_.erase(id);
  op_locks_.erase(id);
  spdlog::info("pod sandbox {} removed", id);
  return absl::OkStatus();
}

absl::Status SandboxManager::CheckNetwork(const std::string& id_or_prefix) {
  absl::StatusOr<SandboxRecord> record = Get(id_or_prefix);
  if (!record.ok()) return record.status();
  if (record->host_network) return absl::OkStatus();
  std::shared_ptr<absl::Mutex> op = OperationLock(record->id);
  // CHECK only reads, as CreateContainer does: it waits for neither.
  if (!op->ReaderTryLock()) {
    return absl::UnavailableError(absl::StrCat("pod sandbox ", record->id, " is busy with another call"));
  }
  const absl::Status status = network_.CheckPod(record->id);
  op->ReaderUnlock();
  return status;
}

absl::StatusOr<ReadyPodHold> SandboxManager::HoldReady(const std::string& id_or_prefix) {
  absl::StatusOr<std::string> resolved = ResolveId(id_or_prefix);
  if (!resolved.ok()) return resolved.status();
  const std::string id = *std::move(resolved);
  std::shared_ptr<absl::Mutex> op = OperationLock(id);
  op->ReaderLock();
  // Read again under the hold: a StopPodSandbox or RemovePodSandbox may have ended meanwhile.
  absl::StatusOr<SandboxRecord> record = Get(id);
  if (record.ok() && record->state != SandboxState::kReady) {
    record = absl::FailedPreconditionError(absl::StrCat("pod_sandbox_id: pod sandbox ", id, " is not ready"));
  }
  if (!record.ok()) {
    op->ReaderUnlock();
    return record.status();
  }
  return ReadyPodHold(std::move(op), *std::move(record));
}

absl::StatusOr<std::string> SandboxManager::ResolveId(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  return ResolveIdLocked(id);
}

absl::StatusOr<std::string> SandboxManager::ResolveIdLocked(const std::string& id) const {
  if (id.empty()) return absl::InvalidArgumentError("pod_sandbox_id is empty");
  if (records_.contains(id)) return id;
  std::string match;
  for (auto it = records_.lower_bound(id); it != records_.end() && absl::StartsWith(it->first, id); ++it) {
    if (!match.empty()) return absl::InvalidArgumentError(absl::StrCat("pod sandbox id prefix \"", id, "\" is ambiguous"));
    match = it->first;
  }
  if (match.empty()) return absl::NotFoundError(absl::StrCat("pod sandbox \"", id, "\" not found"));
  return match;
}

absl::StatusOr<SandboxRecord> SandboxManager::Get(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  absl::StatusOr<std::string> resolved = ResolveIdLocked(id);
  if (!resolved.ok()) return resolved.status();
  return records_.at(*resolved);
}

std::vector<SandboxRecord> SandboxManager::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<SandboxRecord> out;
  for (const auto& [id, record] : records_) out.push_back(record);
  return out;
}

void SandboxManager::ForEach(absl::FunctionRef<void(const SandboxRecord&)> visit) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, record] : records_) visit(record);
}

bool SandboxManager::OnContainerExit(const std::string& container_id) {
  mu_.Lock();
  const auto it = std::find_if(records_.begin(), records_.end(),
                               [&](const auto& entry) { return entry.second.infra_container_id == container_id; });
  if (it == records_.end() || !it->second.infra_running) {
    mu_.Unlock();
    return it != records_.end();
  }
  SandboxRecord& record = it->second;
  record.infra_running = false;
  const DemotionCause cause = stopping_.contains(record.id) ? DemotionCause::kStopping : DemotionCause::kUnexpected;
  if (DemoteIfWallMissing(record, cause)) events_.Publish(PodEventType::kStopped, record.id, record.id);
  (void)SaveReleasing(record);
  return true;
}

}  // namespace cloison::sandbox
