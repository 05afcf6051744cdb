#include "daemon.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cloison/container/container_manager.h"
#include "cloison/image/image_manager.h"
#include "cloison/network/network_manager.h"
#include "cloison/runtime/exit_watcher.h"
#include "cloison/runtime/handler_table.h"
#include "cloison/runtime/runtime_set.h"
#include "cloison/runtime/vm_runtime.h"
#include "cloison/sandbox/sandbox_manager.h"
#include "cloison/server/cri_server.h"
#include "cloison/server/live_config.h"
#include "cloison/server/stream_backend.h"
#include "cloison/shim/events_server.h"
#include "cloison/streaming/streaming_server.h"
#include "cloison/util/logging.h"
#include "cloison/util/process_limits.h"
#include "cloison/util/service_notify.h"
#include "cloison/util/unix_socket.h"
#include "cloison/util/version.h"

namespace cloison::cloisond {
namespace {

// How long recovery waits, in all, for the monitors of interrupted calls (monitor_settling.h).
constexpr absl::Duration kRecoverySettle = absl::Seconds(10);

// What shims of vm handlers publish. The monitor sees a task's exit through Wait; OOM kills
// inside a VM reach cloisond only as /tasks/oom (ShimEventSink).
void LogShimEvent(const shim::ShimEvent& event) {
  if (event.topic == "/tasks/oom") {
    spdlog::info("shim event {} for container {} (namespace {})", event.topic, event.container_id, event.ns);
  } else {
    spdlog::debug("shim event {} for container {} (namespace {}, exit status {})", event.topic, event.container_id,
                  event.ns, event.exit_status);
  }
}

// Hands the shims' /tasks/oom events to the container manager while it exists: the events
// endpoint starts before it (shims may publish during recovery) and stops after it.
class ShimEventSink {
 public:
  void Attach(container::ContainerManager* containers) {
    absl::MutexLock lock(&mu_);
    containers_ = containers;
  }
  void operator()(const shim::ShimEvent& event) {
    LogShimEvent(event);
    if (event.topic != "/tasks/oom" || event.container_id.empty()) return;
    absl::MutexLock lock(&mu_);
    if (containers_ != nullptr) containers_->OnOom(event.container_id);
  }

 private:
  absl::Mutex mu_;
  container::ContainerManager* containers_ ABSL_GUARDED_BY(mu_) = nullptr;
};

server::ConfigSnapshot MakeSnapshot(const config::Config& config) {
  auto shared = std::make_shared<const config::Config>(config);
  auto handlers = std::make_shared<const runtime::HandlerTable>(runtime::HandlerTable::Probe(*shared));
  return {std::move(shared), std::move(handlers)};
}

// sd_notify(3) for Type=notify units; a failure to notify is logged, never fatal.
void Notify(std::string_view state) {
  if (absl::Status sent = util::NotifyServiceManager(state); !sent.ok()) {
    spdlog::warn("cannot notify the service manager: {}", sent.message());
  }
}

// Re-reads the configuration; applies the handler table, [cdi] (CreateContainer reads it from
// the live configuration), [image] pinned_images and the log level. Other keys need a
// restart, which the log says when they changed.
void Reload(const config::ConfigSources& sources, server::LiveConfig& live_config, image::ImageManager& images) {
  absl::StatusOr<config::Config> next = config::LoadConfig(sources);
  if (!next.ok()) {
    spdlog::error("SIGHUP: configuration not reloaded: {}", next.status().message());
    return;
  }
  const server::ConfigSnapshot current = live_config.Get();
  config::Config applied = *current.config;
  applied.runtimes = next->runtimes;
  applied.default_runtime = next->default_runtime;
  applied.untrusted_workload_runtime = next->untrusted_workload_runtime;
  applied.log_level = next->log_level;
  applied.cdi = next->cdi;
  applied.image.pinned_images = next->image.pinned_images;
  if (applied != *next) {
    spdlog::warn("SIGHUP: only runtimes, default_runtime, untrusted_workload_runtime, log_level, cdi and "
                 "image.pinned_images are reloaded; restart cloisond to apply the other changes");
  }
  if (absl::Status s = images.SetPinnedImages(applied.image.pinned_images); !s.ok()) {
    spdlog::error("SIGHUP: configuration not reloaded: {}", s.message());  // the loader refuses these first
    return;
  }
  util::SetLogLevel(applied.log_level);
  live_config.Set(MakeSnapshot(applied));
  spdlog::info("SIGHUP: reloaded runtime handlers, cdi, pinned images and log level ({})", applied.log_level);
}

// Helper programs (cloison-pause, cloison-monitor) are installed beside cloisond.
std::string BesideDaemon(const std::string& program) {
  std::error_code ec;
  return (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / program).string();
}

sigset_t DaemonSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

int RunDaemon(const config::ConfigSources& sources, const config::Config& config) {
  // Block the daemon's signals before any thread starts, so that every thread inherits the
  // mask and only the sigwait below receives them.
  const sigset_t signals = DaemonSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  util::SetupLogging(config.log_level);
  spdlog::info("cloisond {} starting (root {}, state {})", util::Version(), config.root, config.state);
  for (const std::string& dir : {config.root, config.state}) {
    if (absl::Status s = util::MakeDirs(dir, 0711); !s.ok()) {
      spdlog::critical("cannot create {}: {}", dir, s.message());
      return 1;
    }
  }

  image::ImageManager images(config.root + "/images", config.image);
  if (absl::Status s = images.Start(); !s.ok()) {
    spdlog::critical("cannot open the image store under {}/images: {}", config.root, s);
    return 1;
  }

  server::LiveConfig live_config(MakeSnapshot(config));
  const bool systemd_cgroup = config.cgroup_driver == "systemd";
  // A second instance must not take over the first one's shim events endpoint either.
  if (util::SocketAnswers(config.listen)) {
    spdlog::critical("cannot serve the CRI on {}: another instance is already serving on {}", config.listen,
                     config.listen);
    return 1;
  }
  // vm handlers' shims: their stable -address and the events endpoint they publish to.
  const std::string shim_dir = config.state + "/shim";
  if (absl::Status s = util::MakeDirs(shim_dir, 0700); !s.ok()) {
    spdlog::critical("cannot create {}: {}", shim_dir, s.message());
    return 1;
  }
  ShimEventSink shim_event_sink;
  shim::EventsServer shim_events(runtime::ShimEventsSocket(shim_dir),
                                 [&](const shim::ShimEvent& event) { shim_event_sink(event); });
  if (absl::Status s = shim_events.Start(); !s.ok()) {
    spdlog::critical("cannot serve shim events on {}: {}", runtime::ShimEventsSocket(shim_dir), s.message());
    return 1;
  }
  runtime::RuntimeSet runtimes;
  runtimes.Reset(*live_config.Get().handlers, systemd_cgroup, shim_dir);

  const std::vector<std::string> capabilities = util::HeldCapabilities();
  const int64_t min_oom_score_adj = util::MinimumOomScoreAdj();
  network::NetworkManager network(
      {config.network.cni_config_dir, config.network.cni_plugin_dirs, config.root + "/cni",
       std::chrono::seconds(config.network.plugin_timeout)});
  sandbox::SandboxManager sandboxes({config.state, config.root, BesideDaemon("cloison-pause"), systemd_cgroup,
                                     capabilities, min_oom_score_adj, config.seccomp_profile_root},
                                    runtimes, network);
  container::ContainerManager containers({config.state, config.root, systemd_cgroup, capabilities, min_oom_score_adj,
                                          config.seccomp_profile_root},
                                         runtimes, sandboxes, images);
  shim_event_sink.Attach(&containers);
  struct DetachSink {
    ShimEventSink& sink;
    ~DetachSink() { sink.Attach(nullptr); }
  } detach_sink{shim_event_sink};
  sandboxes.SetContainerHooks([&](const std::string& pod) { return containers.StopAllInPod(pod); },
                              [&](const std::string& pod) { return containers.RemoveAllInPod(pod); });
  // One wait, shared by the whole recovery pass, for the monitors that were still making or
  // starting a container when cloisond ended.
  const absl::Time recovery_deadline = absl::Now() + kRecoverySettle;
  for (absl::Status s : {sandboxes.Recover(recovery_deadline), containers.Recover(recovery_deadline)}) {
    if (!s.ok()) {
      spdlog::critical("cannot recover the pod and container records: {}", s);
      return 1;
    }
  }
  runtime::ExitWatcher exits(config.state + "/exits", [&](const std::string& id) {
    if (!sandboxes.OnContainerExit(id)) containers.OnExit(id);
  });
  if (absl::Status s = exits.Start(); !s.ok()) {
    spdlog::critical("cannot watch container exits: {}", s);
    return 1;
  }

  server::StreamBackend stream_backend(config.state, containers, sandboxes, runtimes);
  absl::StatusOr<std::unique_ptr<streaming::StreamingServer>> streaming =
      streaming::StreamingServer::Start(config.streaming.address, config.streaming.port,
                                        std::chrono::seconds(config.streaming.idle_timeout), stream_backend);
  if (!streaming.ok()) {
    spdlog::critical("cannot start the streaming server: {}", streaming.status().message());
    return 1;
  }
  spdlog::info("streaming server (exec, attach, port-forward) on {}", (*streaming)->base_url());

  absl::StatusOr<std::unique_ptr<server::CriServer>> server =
      server::CriServer::Start(config.listen, live_config, images, sandboxes, containers, **streaming);
  if (!server.ok()) {
    spdlog::critical("cannot serve the CRI on {}: {}", config.listen, server.status().message());
    return 1;
  }
  spdlog::info("serving CRI v1 on unix://{}", config.listen);
  Notify("READY=1\nSTATUS=serving CRI v1");

  while (true) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      Notify("RELOADING=1");
      Reload(sources, live_config, images);
      runtimes.Reset(*live_config.Get().handlers, systemd_cgroup, shim_dir);
      Notify("READY=1");
      continue;
    }
    spdlog::info("received signal {}; finishing calls in flight (up to {} s)", signal_number,
                 live_config.Get().config->shutdown_timeout);
    break;
  }
  Notify("STOPPING=1");
  sandboxes.Events().Close();  // open GetContainerEvents streams end now rather than hold the drain
  (*server)->Shutdown(std::chrono::seconds(live_config.Get().config->shutdown_timeout));
  spdlog::info("cloisond stopped; containers keep running");
  return 0;
}

}  // namespace cloison::cloisond
