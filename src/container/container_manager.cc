#include "cloison/container/container_manager.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cloison/container/shown_image.h"
#include "cloison/container/target_pid_pin.h"
#include "cloison/oci/cgroups_path.h"
#include "cloison/oci/image_config.h"
#include "cloison/oci/resources.h"
#include "cloison/oci/spec_builder.h"
#include "cloison/runtime/leftover_cgroup.h"
#include "cloison/runtime/monitor_launch.h"
#include "cloison/runtime/monitor_settling.h"
#include "cloison/runtime/runsc_quirks.h"
#include "cloison/runtime/socket_dir.h"
#include "cloison/runtime/stuck_execs.h"
#include "cloison/sandbox/pod_readiness.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/ids.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"
#include "cloison/util/signal_names.h"
#include "cloison/util/unix_socket.h"

namespace cloison::container {
namespace {

namespace v1 = ::runtime::v1;
namespace fs = std::filesystem;

constexpr char kTargetIdField[] = "config.linux.security_context.namespace_options.target_id";
constexpr std::chrono::seconds kKillGrace{30};
// How long a SIGKILLed container may take to exit before the runtime execs that can hold it
// are killed (runtime/stuck_execs.h).
constexpr std::chrono::seconds kStuckExecWait{2};
constexpr absl::Duration kExitRecheck = absl::Milliseconds(200);
// The interrupted StartContainer calls whose monitors still ran the runtime at the recovery
// deadline are looked at every kStartRecheck.
constexpr absl::Duration kStartRecheck = absl::Milliseconds(100);

absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

std::string NameKey(const std::string& pod_id, const v1::ContainerMetadata& metadata) {
  return absl::StrCat(pod_id, "/", metadata.name(), "/", metadata.attempt());
}

// A created container whose runtime leaves the creation to StartContainer (runc's `run
// --detach`): nothing of it runs or exists in the runtime yet.
bool NotInRuntimeYet(const ContainerRecord& record) {
  return record.state == ContainerState::kCreated && record.pid <= 0;
}

// The signal StopContainer sends first: the CRI's stop_signal, else the image's, else SIGTERM.
int StopSignalFor(const v1::ContainerConfig& config, const oci::ImageConfig& image) {
  if (config.stop_signal() != 0) {
    if (auto number = util::ParseSignal(v1::Signal_Name(config.stop_signal()))) return *number;
  }
  if (!image.stop_signal.empty()) {
    if (auto number = util::ParseSignal(image.stop_signal)) return *number;
  }
  return SIGTERM;
}

// Removes a container's state dir whole. An ExecSync racing the removal may still add files
// to its exec directory under it (the runtime's pid file, the output files) after
// remove_all() listed that directory, which then fails with ENOTEMPTY; once a pass has
// removed the exec directory nothing can add to it, so a few passes end it.
void RemoveStateDir(const std::string& dir) {
  std::error_code ec;
  for (int pass = 0; pass < 10; ++pass) {
    fs::remove_all(dir, ec);
    if (!ec) return;
  }
  spdlog::warn("removing {}: {}", dir, ec.message());
}

}  // namespace

ContainerManager::ContainerManager(ContainerManagerOptions options, runtime::RuntimeSet& runtimes,
                                   sandbox::SandboxManager& sandboxes, image::ImageManager& images)
    : options_(std::move(options)),
      runtimes_(runtimes),
      sandboxes_(sandboxes),
      images_(images),
      rootfs_(options_.root_dir + "/storage"),
      store_(options_.root_dir + "/containers") {}

std::string ContainerManager::OomMarker(const ContainerRecord& record) { return record.state_dir + "/oom"; }

std::string ContainerManager::ExitFile(const std::string& id) const {
  return absl::StrCat(options_.state_dir, "/exits/", id);
}

std::shared_ptr<absl::Mutex> ContainerManager::OperationLock(const std::string& id) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<absl::Mutex>& entry = op_locks_[id];
  if (!entry) entry = std::make_shared<absl::Mutex>();
  return entry;
}

absl::Status ContainerManager::Save(const ContainerRecord& record) {
  absl::MutexLock lock(&save_mu_);
  return store_.Save(record.id, ContainerRecordToJson(record));
}

absl::Status ContainerManager::SaveReleasing(const ContainerRecord& record) {
  const std::string id = record.id;
  const nlohmann::json json = ContainerRecordToJson(record);
  // save_mu_, taken before mu_ is released, keeps this record's writes in the order of its changes.
  save_mu_.Lock();
  mu_.Unlock();
  const absl::Status saved = store_.Save(id, json);
  save_mu_.Unlock();
  return saved;
}

runtime::CreateRequest ContainerManager::RequestFor(const ContainerRecord& record) const {
  runtime::CreateRequest request;
  request.id = record.id;
  request.bundle = record.state_dir;
  request.state_dir = record.state_dir;
  request.socket_dir = runtime::MonitorSocketDir(options_.state_dir, record.id);
  request.exit_file = ExitFile(record.id);
  request.log_path = record.log_path;
  request.tty = record.config.tty();
  request.stdin = record.config.stdin();
  request.stdin_once = record.config.stdin_once();
  return request;
}

bool ContainerManager::ApplyExitFile(ContainerRecord& record) const {
  if (record.state == ContainerState::kExited || record.state == ContainerState::kCreating) return false;
  absl::StatusOr<runtime::ExitRecord> exit = runtime::ReadExitFile(ExitFile(record.id));
  if (!exit.ok()) return false;
  record.state = ContainerState::kExited;
  record.exit_code = exit->exit_code;
  record.finished_at_ns = exit->exited_at_ns > 0 ? exit->exited_at_ns : util::NowNanos();
  const bool oom_killed = exit->oom_killed || access(OomMarker(record).c_str(), F_OK) == 0;
  record.reason = oom_killed ? "OOMKilled" : (exit->exit_code == 0 ? "Completed" : "Error");
  if (record.started_at_ns == 0) record.started_at_ns = record.finished_at_ns;
  return true;
}

void ContainerManager::RefreshFromExitFile(const std::string& id) {
  mu_.Lock();
  auto it = records_.find(id);
  if (it == records_.end() || !ApplyExitFile(it->second)) {
    mu_.Unlock();
    return;
  }
  const int32_t exit_code = it->second.exit_code;
  const std::string reason = it->second.reason;
  if (!starting_.contains(id)) sandboxes_.Events().Publish(sandbox::PodEventType::kStopped, id, it->second.pod_id);
  // Until the write below lands, the exit file in the state dir still tells the exit.
  const absl::Status saved = SaveReleasing(it->second);
  if (!saved.ok()) spdlog::error("saving container {}: {}", id, saved);
  spdlog::info("container {} exited with code {} ({})", id, exit_code, reason);
}

void ContainerManager::OnExit(const std::string& id) { RefreshFromExitFile(id); }

void ContainerManager::OnOom(const std::string& id) {
  std::string marker;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = records_.find(id);
    if (it == records_.end()) return;
    marker = OomMarker(it->second);
  }
  spdlog::info("container {}: its shim reports an OOM kill", id);
  if (absl::Status s = util::ReplaceFile(marker, "", 0600); !s.ok()) spdlog::warn("container {}: {}", id, s);
  mu_.Lock();
  auto it = records_.find(id);
  if (it == records_.end() || it->second.state != ContainerState::kExited || it->second.reason == "OOMKilled") {
    mu_.Unlock();
    return;
  }
  // The exit was recorded before the event came.
  it->second.reason = "OOMKilled";
  const absl::Status saved = SaveReleasing(it->second);
  if (!saved.ok()) spdlog::error("saving container {}: {}", id, saved);
}

bool ContainerManager::WaitForExit(const std::string& id, std::chrono::milliseconds timeout) {
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  const auto exited = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = records_.find(id);
    return it == records_.end() || it->second.state == ContainerState::kExited;
  };
  while (true) {
    RefreshFromExitFile(id);
    // The exit watcher's OnExit records the exit under mu_, which wakes this wait; the exit
    // file is read again every kExitRecheck should its event ever be missed.
    absl::ReaderMutexLock lock(&mu_);
    if (mu_.AwaitWithDeadline(absl::Condition(&exited), std::min(deadline, absl::Now() + kExitRecheck))) return true;
    if (absl::Now() >= deadline) return false;
  }
}

absl::Status ContainerManager::Recover(absl::Time settle_deadline) {
  if (absl::Status s = store_.Start(); !s.ok()) return s;
  std::map<std::string, std::string> errors;
  for (const auto& [id, json] : store_.LoadAll(&errors)) {
    absl::StatusOr<ContainerRecord> record = ContainerRecordFromJson(json);
    if (!record.ok()) {
      spdlog::error("skipping container record {}: {}", id, record.status().message());
      continue;
    }
    if (record->state == ContainerState::kCreating) {
      spdlog::warn("container {}: CreateContainer was interrupted; removing what it left", id);
      DiscardInterruptedCreate(*record, settle_deadline);
      continue;
    }
    const Reconciled reconciled = Reconcile(*record, settle_deadline);
    if (reconciled == Reconciled::kChanged) (void)Save(*record);
    images_.Hold(record->image_id);
    absl::MutexLock lock(&mu_);
    records_[record->id] = *record;
    if (reconciled == Reconciled::kUnderWay) {
      spdlog::warn("container {}: the StartContainer a cloisond restart interrupted is still under way", id);
      starts_under_way_.insert(record->id);
    }
  }
  for (const auto& [path, reason] : errors) spdlog::error("unreadable container record {}: {}", path, reason);
  absl::MutexLock lock(&mu_);
  if (!starts_under_way_.empty()) {
    start_settler_ = std::jthread([this](std::stop_token stop) { SettleStartsUnderWay(stop); });
  }
  return absl::OkStatus();
}

ContainerManager::Reconciled ContainerManager::Reconcile(ContainerRecord& record, absl::Time deadline) {
  if (ApplyExitFile(record)) return Reconciled::kChanged;
  const std::string monitor_pid_file = record.state_dir + "/monitor.pid";
  const bool start_under_way =
      record.pid <= 0 &&
      (record.state == ContainerState::kRunning ||
       (record.state == ContainerState::kCreated &&
        (access(runtime::MonitorLockPath(record.state_dir).c_str(), F_OK) == 0 ||
         access(monitor_pid_file.c_str(), F_OK) == 0)));
  bool changed = false;
  if (start_under_way) {
    // Start saved it running (or was about to) before the runtime reported the pids; they are in
    // the state dir once its monitor has made the container.
    const runtime::MonitorSettling settling = runtime::SettleMonitor(record.state_dir, deadline);
    if (settling.outcome == runtime::MonitorSettling::kUnderWay) return Reconciled::kUnderWay;
    bool cut_short = true;
    if (settling.outcome == runtime::MonitorSettling::kMade && record.state == ContainerState::kRunning) {
      record.pid = settling.pid;
      record.monitor_pid = settling.monitor_pid;
      changed = true;
      if (ApplyExitFile(record)) return Reconciled::kChanged;
      cut_short = false;
    } else if (settling.outcome == runtime::MonitorSettling::kFailed && record.state == ContainerState::kRunning) {
      // After a reboot the state dir is gone with the bundle: the container is only gone, below.
      cut_short = access((record.state_dir + "/config.json").c_str(), F_OK) == 0;
    }
    if (cut_short) {
      RecordStartCutShort(record);
      return Reconciled::kChanged;
    }
  }
  if (record.state != ContainerState::kExited && !NotInRuntimeYet(record) &&
      !runtime::MonitorLives(record.state_dir, record.monitor_pid)) {
    record.state = ContainerState::kExited;
    record.exit_code = 255;
    record.finished_at_ns = util::NowNanos();
    record.reason = "Error";
    record.message = "the container's monitor is gone (node reboot?); its exit status is unknown";
    changed = true;
  }
  return changed ? Reconciled::kChanged : Reconciled::kUnchanged;
}

void ContainerManager::RecordStartCutShort(ContainerRecord& record) {
  // StartContainer was under way: its container may run, without a record of it.
  spdlog::warn("container {}: StartContainer was interrupted; deleting what it started", record.id);
  if (absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record.handler); handler.ok()) {
    (void)handler->runtime->Delete(record.id);
  }
  record.state = ContainerState::kExited;
  record.exit_code = 128;
  record.finished_at_ns = util::NowNanos();
  record.reason = "StartError";
  record.message = "StartContainer was interrupted by a cloisond restart";
}

void ContainerManager::SettleStartsUnderWay(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    absl::SleepFor(kStartRecheck);
    std::set<std::string> ids;
    {
      absl::MutexLock lock(&mu_);
      if (starts_under_way_.empty()) return;
      ids = starts_under_way_;
    }
    for (const std::string& id : ids) {
      std::shared_ptr<absl::Mutex> op = OperationLock(id);
      absl::MutexLock op_lock(op.get());
      absl::StatusOr<ContainerRecord> record = Get(id);
      const Reconciled reconciled = record.ok() ? Reconcile(*record, absl::Now()) : Reconciled::kUnchanged;
      if (reconciled == Reconciled::kUnderWay) continue;
      mu_.Lock();
      starts_under_way_.erase(id);
      auto it = records_.find(id);
      if (reconciled != Reconciled::kChanged || it == records_.end()) {
        mu_.Unlock();
        continue;
      }
      ContainerRecord& current = it->second;
      // An exit the watcher recorded meanwhile is newer than this copy, and already saved.
      if (current.state == ContainerState::kExited) {
        mu_.Unlock();
        continue;
      }
      current = *record;
      (void)ApplyExitFile(current);
      if (current.state == ContainerState::kExited) {
        sandboxes_.Events().Publish(sandbox::PodEventType::kStopped, id, current.pod_id);
      }
      spdlog::info("container {}: the interrupted StartContainer settled ({})", id,
                   current.reason.empty() ? "running" : current.reason);
      (void)SaveReleasing(current);
    }
  }
}

absl::Status ContainerManager::RefuseWhileStartUnderWay(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!starts_under_way_.contains(id)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "container ", id, ": the StartContainer a cloisond restart interrupted is still under way"));
}

void ContainerManager::DiscardInterruptedCreate(ContainerRecord& record, absl::Time deadline) {
  // A runtime that makes the container at CreateContainer (runsc, vm handlers) had the call
  // spawn its monitor: the Delete waits until that monitor has made the container or ended, so
  // that the container is not made after it (a runc container's state dir has no monitor yet).
  runtime::SettleBeforeDelete(record.state_dir, deadline, absl::StrCat("container ", record.id));
  (void)Discard(record);
}

absl::Status ContainerManager::Discard(ContainerRecord& record) {
  absl::Status result;
  if (absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record.handler); handler.ok()) {
    const absl::Status deleted = handler->runtime->Delete(record.id);
    if (deleted.ok()) {
      runtime::KillMonitor(record.state_dir, record.id);
      runtime::RemoveLeftoverCgroup(record.state_dir, record.id);
    }
    result.Update(deleted);
  }
  result.Update(rootfs_.Remove(record.id));
  result.Update(UnpinTargetPidNamespace(record.state_dir));
  RemoveStateDir(record.state_dir);
  std::error_code ec;
  fs::remove_all(runtime::MonitorSocketDir(options_.state_dir, record.id), ec);
  runtime::RemoveExitFiles(ExitFile(record.id));
  if (result.ok()) {
    absl::MutexLock lock(&save_mu_);
    result.Update(store_.Delete(record.id));
  }
  return result;
}

absl::StatusOr<std::string> ContainerManager::Create(const std::string& pod_id, const v1::ContainerConfig& config,
                                                     const v1::PodSandboxConfig& /*sandbox_config*/,
                                                     const config::CdiConfig& cdi) {
  if (pod_id.empty()) return absl::InvalidArgumentError("pod_sandbox_id is empty");
  if (config.metadata().name().empty()) return absl::InvalidArgumentError("config.metadata.name is empty");
  if (config.image().image().empty()) return absl::InvalidArgumentError("config.image.image is empty");
  // Held until the container is recorded: StopPodSandbox and RemovePodSandbox, which stop and
  // remove the pod's containers, wait for it.
  absl::StatusOr<sandbox::ReadyPodHold> pod_hold = sandboxes_.HoldReady(pod_id);
  if (!pod_hold.ok()) return pod_hold.status();
  const sandbox::SandboxRecord* pod = &pod_hold->record();
  // A new PID namespace ("") unless the pod shares its infra container's.
  absl::StatusOr<std::string> pod_pidns = std::string();
  if (sandbox::SharesPidNamespace(*pod)) pod_pidns = sandbox::SharedPidNamespace(*pod);
  if (!pod_pidns.ok()) return pod_pidns.status();
  // The hold keeps RemoveImage off the image from here on; the container's record takes it over
  // (RemoveContainer releases it), a failed call releases it.
  absl::StatusOr<image::ImageRecord> image = images_.FindAndHold(config.image().image());
  if (!image.ok()) {
    return absl::NotFoundError(absl::StrCat("config.image.image: image \"", config.image().image(),
                                            "\" is not present; pull it first"));
  }
  struct ImageHold {
    image::ImageManager& images;
    std::string id;
    bool recorded = false;
    ~ImageHold() {
      if (!recorded) images.Release(id);
    }
  } image_hold{images_, image->id};
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(pod->runtime_handler);
  if (!handler.ok()) return handler.status();

  const std::string key = NameKey(pod->id, config.metadata());
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, existing] : records_) {
      if (NameKey(existing.pod_id, existing.config.metadata()) == key) {
        return absl::AlreadyExistsError(absl::StrCat("container \"", config.metadata().name(), "\" attempt ",
                                                     config.metadata().attempt(), " already exists in pod ",
                                                     pod->id, " as ", id));
      }
    }
    if (!reserved_names_.insert(key).second) {
      return absl::AlreadyExistsError(absl::StrCat("container ", key, " is being created"));
    }
  }
  struct Unreserve {
    ContainerManager* self;
    std::string key;
    ~Unreserve() {
      absl::MutexLock lock(&self->mu_);
      self->reserved_names_.erase(key);
    }
  } unreserve{this, key};

  ContainerRecord record;
  record.id = util::NewObjectId();
  record.pod_id = pod->id;
  record.handler = handler->name;
  record.config = config;
  record.image_name = ShownImageName(config.image(), *image);
  record.image_id = image->id;
  record.image_ref = image->repo_digests.empty() ? image->id : image->repo_digests.front();
  record.created_at_ns = util::NowNanos();
  record.state_dir = absl::StrCat(options_.state_dir, "/containers/", record.id);
  if (!pod->config.log_directory().empty() && !config.log_path().empty()) {
    record.log_path = (fs::path(pod->config.log_directory()) / config.log_path()).string();
  }
  if (absl::Status s = store_.SaveMarker(record.id, ContainerRecordToJson(record)); !s.ok()) {
    return s;  // the crash-recovery marker
  }
  auto fail = [&](const absl::Status& status) {
    (void)Discard(record);
    return status;
  };
  if (absl::Status s = util::MakeDirs(record.state_dir, 0700); !s.ok()) return fail(s);

  std::vector<std::string> layers;
  for (const image::LayerRecord& layer : image->layers) layers.push_back(images_.LayerDir(layer.digest));
  absl::StatusOr<std::optional<oci::UserNamespaceMappings>> userns = sandbox::PodUserNamespace(pod->config);
  if (!userns.ok()) return fail(userns.status());
  std::optional<storage::RootfsIdMap> idmap;
  if (userns->has_value()) {
    idmap = storage::RootfsIdMap{pod->userns_path, (*userns)->HostRootUid(), (*userns)->HostRootGid()};
  }
  absl::StatusOr<std::string> rootfs = rootfs_.Mount(record.id, layers, idmap);
  if (!rootfs.ok()) return fail(rootfs.status());
  absl::StatusOr<std::string> image_config_blob = images_.ReadConfig(*image);
  if (!image_config_blob.ok()) return fail(image_config_blob.status());
  absl::StatusOr<oci::ImageConfig> image_config = oci::ParseImageConfig(*image_config_blob);
  if (!image_config.ok()) return fail(image_config.status());
  record.stop_signal = StopSignalFor(config, *image_config);

  oci::ContainerSpecInput input;
  input.container_id = record.id;
  input.sandbox_id = pod->id;
  input.container_name = config.metadata().name();
  input.config = &record.config;
  input.sandbox_config = &pod->config;
  input.image = *image_config;
  input.image_name = record.image_name;
  input.rootfs = *rootfs;
  input.namespaces.network = pod->netns_path;
  input.namespaces.ipc = pod->ipcns_path;
  input.namespaces.uts = pod->utsns_path;
  input.namespaces.host_network = pod->host_network;
  input.namespaces.host_ipc = pod->host_ipc;
  input.namespaces.host_pid = pod->host_pid;
  input.namespaces.user = pod->userns_path;
  input.user_namespace = *userns;
  input.namespaces.pid = *pod_pidns;
  if (config.linux().security_context().namespace_options().pid() == v1::NamespaceMode::TARGET) {
    absl::StatusOr<std::string> target = PinTargetPidNamespaceOf(
        pod->id, config.linux().security_context().namespace_options().target_id(), record.state_dir);
    if (!target.ok()) return fail(target.status());
    input.namespaces.pid = *target;
  }
  input.cgroups_path = oci::ContainerCgroupsPath(pod->cgroup_parent, record.id, options_.systemd_cgroup);
  input.hostname = pod->host_network ? "" : pod->config.hostname();
  input.resolv_conf_path = pod->resolv_path;
  input.hosts_path = pod->hosts_path;
  input.hostname_path = pod->hostname_path;
  input.shm_path = pod->shm_path;
  input.available_capabilities = runtime::GrantableCapabilities(handler->info, options_.available_capabilities);
  input.min_oom_score_adj = options_.min_oom_score_adj;
  input.privileged_without_host_devices = handler->info.config.privileged_without_host_devices;
  input.allowed_annotations = handler->info.config.allowed_annotations;
  input.seccomp_profile_root = options_.seccomp_profile_root;
  input.host_lsms = oci::DetectHostLsms();
  input.cdi_enabled = cdi.enabled;
  input.cdi_spec_dirs = cdi.spec_dirs;
  absl::StatusOr<nlohmann::json> spec = oci::BuildContainerSpec(input);
  if (!spec.ok()) return fail(spec.status());
  const nlohmann::json& spec_user = (*spec)["process"]["user"];
  record.user.set_uid(spec_user["uid"].get<int64_t>());
  record.user.set_gid(spec_user["gid"].get<int64_t>());
  for (const nlohmann::json& gid : spec_user["additionalGids"]) record.user.add_supplemental_groups(gid.get<int64_t>());
  if (absl::Status s = util::ReplaceFile(record.state_dir + "/config.json", spec->dump(), 0600); !s.ok()) {
    return fail(s);
  }
  if (!record.log_path.empty()) {
    if (absl::Status s = util::MakeDirs(fs::path(record.log_path).parent_path().string(), 0755); !s.ok()) {
      return fail(s);
    }
  }
  runtime::CreateRequest request = RequestFor(record);
  request.pod_state_dir = pod->dir;
  absl::StatusOr<runtime::CreateResult> created = handler->runtime->Create(request);
  if (!created.ok()) return fail(WithContext(created.status(), "creating the container"));
  record.pid = created->pid;
  record.monitor_pid = created->monitor_pid;
  record.state = ContainerState::kCreated;
  if (absl::Status s = Save(record); !s.ok()) return fail(s);
  {
    absl::MutexLock lock(&mu_);
    records_[record.id] = record;
    sandboxes_.Events().Publish(sandbox::PodEventType::kCreated, record.id, record.pod_id);
  }
  image_hold.recorded = true;
  RefreshFromExitFile(record.id);
  spdlog::info("container {} ({}) created in pod {}", record.id, config.metadata().name(), pod->id);
  return record.id;
}

absl::StatusOr<std::string> ContainerManager::ResolveId(const std::string& id) const {
  if (id.empty()) return absl::InvalidArgumentError("container_id is empty");
  absl::ReaderMutexLock lock(&mu_);
  if (records_.contains(id)) return id;
  std::string match;
  for (auto it = records_.lower_bound(id); it != records_.end() && absl::StartsWith(it->first, id); ++it) {
    if (!match.empty()) return absl::InvalidArgumentError(absl::StrCat("container id prefix \"", id, "\" is ambiguous"));
    match = it->first;
  }
  if (match.empty()) return absl::NotFoundError(absl::StrCat("container \"", id, "\" not found"));
  return match;
}

absl::Status ContainerManager::Start(const std::string& id_or_prefix) {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (!id.ok()) return id.status();
  std::shared_ptr<absl::Mutex> op = OperationLock(*id);
  absl::MutexLock op_lock(op.get());
  if (absl::Status s = RefuseWhileStartUnderWay(*id); !s.ok()) return s;
  absl::StatusOr<ContainerRecord> record = Get(*id);
  if (!record.ok()) return record.status();
  if (record->state != ContainerState::kCreated) {
    return absl::FailedPreconditionError(absl::StrCat("container ", *id, " is not in the created state"));
  }
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record->handler);
  if (!handler.ok()) return handler.status();
  const int64_t started_at = util::NowNanos();
  // A container that this call makes in the runtime (runc's `run --detach`) is recorded running,
  // durably, while the runtime makes it: the fsyncs overlap the runtime's tens of milliseconds
  // instead of following them, and a node crash from then on recovers it as exited, never as
  // startable. Its pids stay in the state dir (monitor.pid, pidfile), where Recover reads them.
  const bool made_by_start = NotInRuntimeYet(*record);
  {
    absl::MutexLock lock(&mu_);
    starting_.insert(*id);
  }
  absl::Status running_saved;
  std::jthread save_running;
  if (made_by_start) save_running = std::jthread([&] { running_saved = SaveRunningBeforeStart(*id, started_at); });
  const absl::StatusOr<runtime::CreateResult> started = handler->runtime->Start(RequestFor(*record));
  if (save_running.joinable()) save_running.join();
  const absl::Status failure = started.ok() ? absl::OkStatus() : ExplainStartFailure(*record, started.status());
  mu_.Lock();
  starting_.erase(*id);
  ContainerRecord& current = records_.at(*id);
  // An exit the watcher recorded meanwhile is published here, where its order can be kept.
  const bool exited_meanwhile = current.state == ContainerState::kExited;
  if (!started.ok()) {
    current.exit_code = 128;
    current.reason = "StartError";
    current.message = std::string(failure.message());
    current.finished_at_ns = util::NowNanos();
    sandboxes_.Events().Publish(sandbox::PodEventType::kStopped, *id, current.pod_id);
    current.state = ContainerState::kExited;
    (void)SaveReleasing(current);
    return WithContext(failure, "starting the container");
  }
  if (started->pid > 0) {  // created by this start
    current.pid = started->pid;
    current.monitor_pid = started->monitor_pid;
  }
  // Every successful start is published STARTED, as containerd does, even when the container's
  // exit came first; the exit's STOPPED follows.
  if (current.state == ContainerState::kCreated) current.state = ContainerState::kRunning;
  current.started_at_ns = started_at;
  sandboxes_.Events().Publish(sandbox::PodEventType::kStarted, *id, current.pod_id);
  // An exit recorded meanwhile is in the record to save; otherwise what is on disk is current.
  const bool exited = ApplyExitFile(current) || exited_meanwhile;
  if (exited) sandboxes_.Events().Publish(sandbox::PodEventType::kStopped, *id, current.pod_id);
  if (exited || !made_by_start || !running_saved.ok()) return SaveReleasing(current);
  mu_.Unlock();
  return absl::OkStatus();
}

absl::Status ContainerManager::SaveRunningBeforeStart(const std::string& id, int64_t started_at) {
  mu_.Lock();
  auto it = records_.find(id);
  if (it == records_.end() || it->second.state != ContainerState::kCreated) {
    mu_.Unlock();  // its exit came first, and is saved
    return absl::OkStatus();
  }
  ContainerRecord running = it->second;
  running.state = ContainerState::kRunning;
  running.started_at_ns = started_at;
  return SaveReleasing(running);
}

absl::Status ContainerManager::Stop(const std::string& id_or_prefix, std::chrono::seconds timeout) {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (!id.ok()) return id.status();
  std::shared_ptr<absl::Mutex> op = OperationLock(*id);
  absl::MutexLock op_lock(op.get());
  if (absl::Status s = RefuseWhileStartUnderWay(*id); !s.ok()) return s;
  RefreshFromExitFile(*id);
  absl::StatusOr<ContainerRecord> record = Get(*id);
  if (!record.ok()) return record.status();
  if (record->state == ContainerState::kExited) return absl::OkStatus();
  // Nothing of a created container runs yet, even where the runtime has made it (runsc, vm
  // handlers: runsc refuses to signal a created container); RemoveContainer deletes it.
  if (record->state == ContainerState::kCreated) return RecordStoppedBeforeStart(*id);
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record->handler);
  if (!handler.ok()) return handler.status();
  if (timeout.count() > 0 && record->state == ContainerState::kRunning) {
    if (absl::Status s = handler->runtime->Kill(*id, record->stop_signal); !s.ok()) return s;
    if (WaitForExit(*id, timeout)) return absl::OkStatus();
    spdlog::info("container {} did not stop within {} s; sending SIGKILL", *id, timeout.count());
  }
  if (absl::Status s = handler->runtime->Kill(*id, SIGKILL); !s.ok()) return s;
  if (WaitForExit(*id, kStuckExecWait)) return absl::OkStatus();
  if (const int killed = runtime::KillRuntimeExecs(record->state_dir); killed > 0) {
    spdlog::warn("container {} did not exit within {} s of SIGKILL: killed {} runtime exec process(es) holding it",
                 *id, kStuckExecWait.count(), killed);
  }
  if (!WaitForExit(*id, kKillGrace)) {
    return absl::DeadlineExceededError(absl::StrCat("container ", *id, " did not exit after SIGKILL"));
  }
  return absl::OkStatus();
}

absl::Status ContainerManager::RecordStoppedBeforeStart(const std::string& id) {
  mu_.Lock();
  ContainerRecord& current = records_.at(id);
  // What a runtime-created container killed before its start reports: SIGKILL.
  current.state = ContainerState::kExited;
  current.exit_code = 128 + SIGKILL;
  current.finished_at_ns = current.started_at_ns = util::NowNanos();
  current.reason = "Error";
  current.message = "stopped before it was started";
  sandboxes_.Events().Publish(sandbox::PodEventType::kStopped, id, current.pod_id);
  return SaveReleasing(current);
}

absl::Status ContainerManager::Remove(const std::string& id_or_prefix) {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (absl::IsNotFound(id.status())) return absl::OkStatus();  // removal is idempotent
  if (!id.ok()) return id.status();
  if (absl::Status s = Stop(*id, std::chrono::seconds(0)); !s.ok()) {
    // A removal racing this one took the container away meanwhile: removed, as asked.
    if (absl::IsNotFound(s) && absl::IsNotFound(Get(*id).status())) return absl::OkStatus();
    return WithContext(s, "force-stopping");
  }
  std::shared_ptr<absl::Mutex> op = OperationLock(*id);
  absl::MutexLock op_lock(op.get());
  absl::StatusOr<ContainerRecord> record = Get(*id);
  if (!record.ok()) return absl::OkStatus();
  if (absl::Status s = Discard(*record); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    records_.erase(*id);
    sandboxes_.Events().Publish(sandbox::PodEventType::kDeleted, *id, record->pod_id);
    op_locks_.erase(*id);
  }
  images_.Release(record->image_id);
  spdlog::info("container {} removed", *id);
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ContainerManager::Get(const std::string& id_or_prefix) const {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (!id.ok()) return id.status();
  absl::ReaderMutexLock lock(&mu_);
  auto it = records_.find(*id);
  if (it == records_.end()) return absl::NotFoundError(absl::StrCat("container \"", *id, "\" not found"));
  return it->second;
}

absl::StatusOr<std::string> ContainerManager::PinTargetPidNamespaceOf(const std::string& pod_id,
                                                                     const std::string& target_id,
                                                                     const std::string& state_dir) const {
  if (target_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kTargetIdField, ": required when the pid mode is TARGET"));
  }
  absl::StatusOr<ContainerRecord> target = Get(target_id);
  if (!target.ok()) {
    return absl::Status(target.status().code(), absl::StrCat(kTargetIdField, ": ", target.status().message()));
  }
  if (target->pod_id != pod_id) {
    return absl::InvalidArgumentError(
        absl::StrCat(kTargetIdField, ": container ", target->id, " belongs to pod ", target->pod_id, ", not ", pod_id));
  }
  if (target->state != ContainerState::kRunning || target->pid <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(kTargetIdField, ": container ", target->id, " is not running"));
  }
  return PinTargetPidNamespace({target->id, target->pid}, state_dir, kTargetIdField);
}

absl::Status ContainerManager::ExplainStartFailure(const ContainerRecord& record, const absl::Status& failure) const {
  const v1::NamespaceOption& namespaces = record.config.linux().security_context().namespace_options();
  if (namespaces.pid() == v1::NamespaceMode::TARGET) {
    absl::StatusOr<ContainerRecord> target = Get(namespaces.target_id());
    if (!target.ok() || target->state != ContainerState::kRunning) {
      return absl::FailedPreconditionError(absl::StrCat(
          kTargetIdField, ": container ", namespaces.target_id(),
          ", whose PID namespace this container joins, is no longer running (no process can enter a PID namespace "
          "whose first process has exited); the runtime says: ",
          failure.message()));
    }
  }
  return failure;
}

std::vector<ContainerRecord> ContainerManager::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<ContainerRecord> out;
  out.reserve(records_.size());
  for (const auto& [id, record] : records_) out.push_back(record);
  return out;
}

void ContainerManager::ForEach(absl::FunctionRef<void(const ContainerRecord&)> visit) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, record] : records_) visit(record);
}

absl::Status ContainerManager::Visit(const std::string& id_or_prefix,
                                     absl::FunctionRef<void(const ContainerRecord&)> visit) const {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (!id.ok()) return id.status();
  absl::ReaderMutexLock lock(&mu_);
  auto it = records_.find(*id);
  if (it == records_.end()) return absl::NotFoundError(absl::StrCat("container \"", *id, "\" not found"));
  visit(it->second);
  return absl::OkStatus();
}

std::vector<std::string> ContainerManager::IdsInPod(const std::string& pod_id) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, record] : records_) {
    if (record.pod_id == pod_id) ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<runtime::ExecResult> ContainerManager::ExecSync(const std::string& id_or_prefix,
                                                               const std::vector<std::string>& cmd,
                                                               std::chrono::seconds timeout) {
  if (cmd.empty()) return absl::InvalidArgumentError("cmd is empty");
  absl::StatusOr<ContainerRecord> record = Get(id_or_prefix);
  if (!record.ok()) return record.status();
  if (record->state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container ", record->id, " is not running"));
  }
  absl::StatusOr<nlohmann::json> spec = util::ReadJsonObjectFile(record->state_dir + "/config.json");
  if (!spec.ok()) return spec.status();
  nlohmann::json process = spec->value("process", nlohmann::json::object());
  process["args"] = cmd;
  process["terminal"] = false;
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record->handler);
  if (!handler.ok()) return handler.status();
  absl::StatusOr<runtime::ExecResult> result =
      handler->runtime->ExecSync(record->id, record->state_dir, process.dump(), timeout);
  if (result.ok() && result->timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("command ", cmd.front(), " in container ", record->id, " timed out after ", timeout.count(), " s"));
  }
  return result;
}

absl::Status ContainerManager::ReopenLog(const std::string& id_or_prefix) {
  absl::StatusOr<ContainerRecord> record = Get(id_or_prefix);
  if (!record.ok()) return record.status();
  if (record->state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container ", record->id, " is not running"));
  }
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record->handler);
  if (!handler.ok()) return handler.status();
  return handler->runtime->ReopenLog(RequestFor(*record));
}

absl::Status ContainerManager::UpdateResources(const std::string& id_or_prefix,
                                               const v1::LinuxContainerResources& resources) {
  absl::StatusOr<std::string> id = ResolveId(id_or_prefix);
  if (!id.ok()) return id.status();
  std::shared_ptr<absl::Mutex> op = OperationLock(*id);
  absl::MutexLock op_lock(op.get());
  RefreshFromExitFile(*id);
  absl::StatusOr<ContainerRecord> record = Get(*id);
  if (!record.ok()) return record.status();
  if (record->state != ContainerState::kCreated && record->state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container ", *id, " is neither created nor running"));
  }
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record->handler);
  if (!handler.ok()) return handler.status();
  const nlohmann::json limits = oci::LinuxResources(resources);
  // A container the runtime has not created yet gets the limits from its config.json below.
  if (!NotInRuntimeYet(*record)) {
    if (absl::Status s = handler->runtime->Update(*id, record->state_dir, limits.dump()); !s.ok()) {
      return WithContext(s, "updating the container's resources");
    }
  }
  const std::string spec_path = record->state_dir + "/config.json";
  if (absl::StatusOr<nlohmann::json> spec = util::ReadJsonObjectFile(spec_path); spec.ok()) {
    nlohmann::json& current = (*spec)["linux"]["resources"];
    if (!current.is_object()) current = nlohmann::json::object();
    for (const char* key : {"cpu", "memory", "hugepageLimits", "unified"}) current.erase(key);
    current.update(limits);
    (void)util::ReplaceFile(spec_path, spec->dump(), 0600);
  }
  mu_.Lock();
  ContainerRecord& current = records_.at(*id);
  v1::LinuxContainerResources* stored = current.config.mutable_linux()->mutable_resources();
  const int64_t oom_score_adj = stored->oom_score_adj();
  *stored = resources;
  stored->set_oom_score_adj(oom_score_adj);
  return SaveReleasing(current);
}

absl::Status ContainerManager::StopAllInPod(const std::string& pod_id) {
  for (const std::string& id : IdsInPod(pod_id)) {
    if (absl::Status s = Stop(id, std::chrono::seconds(0)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ContainerManager::RemoveAllInPod(const std::string& pod_id) {
  for (const std::string& id : IdsInPod(pod_id)) {
    if (absl::Status s = Remove(id); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace cloison::container
