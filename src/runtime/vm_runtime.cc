#include "cloison/runtime/vm_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/runtime/monitor_launch.h"
#include "cloison/shim/shim_launcher.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/ids.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"
#include "cloison/util/output_drain.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_socket.h"
#include "nlohmann/json.hpp"

namespace cloison::runtime {
namespace {

namespace fs = std::filesystem;

// Bounds only the retries of a connect() to a live shim whose backlog is full: the address
// was reported by the shim, so nothing listening there is a dead shim (shim::Listener).
constexpr auto kConnectTimeout = std::chrono::seconds(5);
// How long a shim asked to exit after its last task may take before it is killed: containerd's
// io.containerd.timeout.shim.shutdown.
constexpr auto kShimExitWait = std::chrono::seconds(3);
constexpr auto kCallTimeout = std::chrono::seconds(30);
constexpr auto kKilledExitWait = std::chrono::seconds(10);
constexpr size_t kMaxExecOutput = 16 << 20;

// The shim is gone (or never came): nothing answers at its address.
bool ShimGone(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsNotFound(status);
}

absl::StatusOr<util::UniqueFd> MakeReadFifo(const std::string& path) {
  if (mkfifo(path.c_str(), 0600) != 0) return util::SystemCallError("mkfifo ", path);
  util::UniqueFd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return util::SystemCallError("open ", path);
  return fd;
}

// Reads both FIFOs (capped at kMaxExecOutput each) until `exited` is set and the output is
// drained (EOF on both, or the drain bounds of util/output_drain.h).
void CollectOutput(util::UniqueFd (&fds)[2], std::string (&out)[2], const std::atomic<bool>& exited) {
  util::OutputDrain drain;
  bool draining = false;
  while (fds[0].valid() || fds[1].valid()) {
    if (!draining && exited.load()) {
      drain.Start();
      draining = true;
    }
    if (draining && drain.Over()) return;
    pollfd pfds[2];
    nfds_t count = 0;
    int stream_of[2];
    for (int stream = 0; stream < 2; ++stream) {
      if (!fds[stream].valid()) continue;
      stream_of[count] = stream;
      pfds[count++] = pollfd{fds[stream].get(), POLLIN, 0};
    }
    if (poll(pfds, count, 50) <= 0) continue;
    for (nfds_t i = 0; i < count; ++i) {
      if (pfds[i].revents == 0) continue;
      const int stream = stream_of[i];
      char buffer[65536];
      const ssize_t n = read(fds[stream].get(), buffer, sizeof(buffer));
      if (n > 0) {
        const size_t keep = std::min(static_cast<size_t>(n), kMaxExecOutput - std::min(kMaxExecOutput, out[stream].size()));
        out[stream].append(buffer, keep);
        drain.Output();
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        fds[stream].reset();
      }
    }
  }
}

// Where the pod's shim logs: <pod state dir>/shim.log.
std::string ShimLogPath(const std::string& pod_state_dir) { return pod_state_dir + "/shim.log"; }

// The address of the container's shim, as its monitor wrote it to <state_dir>/shim-address.
absl::StatusOr<std::string> ShimAddressIn(const std::string& state_dir) {
  absl::StatusOr<std::string> text = util::ReadFile(state_dir + "/shim-address");
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(*text));
}

// Removes the socket a dead shim left at the address in <state_dir>/shim-address, as containerd
// does after a dead shim's `delete`; nothing when a shim answers there.
void RemoveDeadShimSocket(const std::string& state_dir) {
  absl::StatusOr<std::string> address = ShimAddressIn(state_dir);
  if (!address.ok()) return;
  const std::string path(shim::SocketPath(*address));
  if (!absl::StartsWith(path, "/")) return;  // not a socket file (an abstract or vsock address)
  if (shim::TtrpcClient::Connect(*address, std::chrono::milliseconds(0)).ok()) return;
  unlink(path.c_str());
}

}  // namespace

std::string ShimAddress(const std::string& shim_dir) { return shim_dir + "/cloison.sock"; }
std::string ShimEventsSocket(const std::string& shim_dir) { return shim_dir + "/events.sock"; }

VmRuntimeOptions VmOptionsForHandler(const HandlerInfo& handler, const std::string& shim_dir) {
  VmRuntimeOptions options;
  options.programs = ProgramsForHandler(handler);
  options.shim_address = ShimAddress(shim_dir);
  options.ttrpc_address = ShimEventsSocket(shim_dir);
  options.config_path = handler.config.runtime_config_path;
  options.tasks_dir = handler.config.runtime_root + "/tasks";
  return options;
}

VmRuntime::VmRuntime(VmRuntimeOptions options) : options_(std::move(options)) {}

absl::StatusOr<CreateResult> VmRuntime::Create(const CreateRequest& request) {
  if (request.pod_state_dir.empty()) return absl::InvalidArgumentError("a vm container needs its pod's state dir");
  if (absl::Status s = util::MakeDirs(options_.tasks_dir, 0700); !s.ok()) return s;
  const std::string record = nlohmann::json{{"state_dir", request.state_dir}, {"bundle", request.bundle}}.dump();
  if (absl::Status s = util::ReplaceFile(options_.tasks_dir + "/" + request.id, record); !s.ok()) return s;
  std::vector<std::string> argv = {options_.programs.monitor_path};
  const std::vector<std::string> flags = MonitorContainerFlags(request);
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--shim", options_.programs.runtime_path, "--shim-namespace", options_.ns,
                           "--shim-address", options_.shim_address, "--shim-ttrpc-address", options_.ttrpc_address,
                           "--state-dir", request.state_dir, "--shim-log", ShimLogPath(request.pod_state_dir)});
  if (!options_.config_path.empty()) argv.insert(argv.end(), {"--shim-config-path", options_.config_path});
  return LaunchContainerMonitor(argv, request, absl::StrCat(options_.programs.runtime_path, " create"));
}

absl::StatusOr<CreateResult> VmRuntime::Start(const CreateRequest& request) {
  if (absl::Status s = StartThroughMonitor(request, options_.programs.runtime_path); !s.ok()) return s;
  return CreateResult{};
}

absl::Status VmRuntime::ReopenLog(const CreateRequest& request) { return ReopenLogThroughMonitor(request); }

absl::StatusOr<VmRuntime::TaskPlace> VmRuntime::FindTask(const std::string& id) const {
  const std::string path = options_.tasks_dir + "/" + id;
  absl::StatusOr<nlohmann::json> doc = util::ReadJsonObjectFile(path);
  if (!doc.ok()) return doc.status();
  const std::string where = absl::StrCat("task record ", path);
  absl::StatusOr<std::string> state_dir = util::StringField(*doc, "state_dir", where);
  absl::StatusOr<std::string> bundle = util::StringField(*doc, "bundle", where);
  // A field of the wrong type is a damaged file, as is content that is no JSON object.
  if (!state_dir.ok()) return absl::DataLossError(state_dir.status().message());
  if (!bundle.ok()) return absl::DataLossError(bundle.status().message());
  return TaskPlace{std::move(*state_dir), std::move(*bundle)};
}

absl::StatusOr<shim::TaskClient> VmRuntime::TaskService(const std::string& state_dir) {
  absl::StatusOr<std::string> address = ShimAddressIn(state_dir);
  if (!address.ok()) {
    return absl::UnavailableError(absl::StrCat("no shim address in ", state_dir, ": ", address.status().message()));
  }
  const std::string& key = *address;
  absl::MutexLock lock(&mu_);
  auto it = connections_.find(key);
  if (it == connections_.end() || it->second->closed()) {
    absl::StatusOr<std::unique_ptr<shim::TtrpcClient>> connected =
        shim::TtrpcClient::Connect(key, kConnectTimeout, shim::Listener::kReported);
    if (!connected.ok()) {
      connections_.erase(key);
      return connected.status();
    }
    it = connections_.insert_or_assign(key, std::shared_ptr<shim::TtrpcClient>(std::move(*connected))).first;
  }
  return shim::TaskClient(it->second, options_.ns);
}

absl::Status VmRuntime::Kill(const std::string& id, int signal) {
  absl::StatusOr<TaskPlace> place = FindTask(id);
  if (!place.ok()) return absl::IsNotFound(place.status()) ? absl::OkStatus() : place.status();
  absl::StatusOr<shim::TaskClient> tasks = TaskService(place->state_dir);
  if (!tasks.ok()) return ShimGone(tasks.status()) ? absl::OkStatus() : tasks.status();
  const absl::Status killed = tasks->Kill(id, "", static_cast<uint32_t>(signal), false);
  // UNAVAILABLE: the connection broke, the shim died during the call (or just before it: a
  // connect() can reach the listener of a shim still closing its files as it dies).
  if (killed.ok() || ShimGone(killed)) return absl::OkStatus();
  absl::StatusOr<shim::TaskState> state = tasks->State(id, "");
  if (!state.ok() ? absl::IsNotFound(state.status()) : state->status == "stopped") return absl::OkStatus();
  return absl::InternalError(absl::StrCat("shim kill ", id, ": ", killed.message()));
}

absl::Status VmRuntime::Delete(const std::string& id) {
  absl::StatusOr<TaskPlace> place = FindTask(id);
  if (absl::IsNotFound(place.status())) {
    RemoveTaskRecord(id);  // what a Create cut short while writing it left
    return absl::OkStatus();
  }
  if (!place.ok()) return place.status();
  absl::Status result;
  absl::StatusOr<shim::TaskClient> tasks = TaskService(place->state_dir);
  if (tasks.ok()) {
    result = DeleteThroughShim(id, *place, *tasks);
  } else if (ShimGone(tasks.status())) {
    result = DeleteWithoutShim(id, *place);
  } else {
    result = tasks.status();
  }
  if (result.ok()) RemoveTaskRecord(id);
  return result;
}

void VmRuntime::RemoveTaskRecord(const std::string& id) const {
  unlink((options_.tasks_dir + "/" + id).c_str());
  // util::ReplaceFile's temporary file, left when cloisond was killed while Create wrote it.
  const std::string temporary_prefix = id + ".tmp-";
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(options_.tasks_dir);
  if (!entries.ok()) return;
  for (const util::DirectoryEntry& entry : *entries) {
    if (absl::StartsWith(entry.name, temporary_prefix)) unlink((options_.tasks_dir + "/" + entry.name).c_str());
  }
}

absl::Status VmRuntime::DeleteThroughShim(const std::string& id, const TaskPlace& place,
                                          const shim::TaskClient& tasks) {
  // A live task is killed first: the shim refuses to delete a running one.
  if (tasks.Kill(id, "", SIGKILL, true).ok()) (void)tasks.Wait(id, "", kKilledExitWait);
  // The shim of the last task is held while it serves: once it has no task it may exit.
  const bool last_task = !OtherTasksShareShim(id, place.state_dir);
  absl::StatusOr<shim::ShimProcess> process = absl::FailedPreconditionError("other tasks use the shim");
  if (last_task) {
    absl::StatusOr<shim::ShimInfo> info = tasks.Connect(id);
    process = info.ok() ? shim::ShimProcess::Hold(static_cast<int>(info->shim_pid)) : info.status();
  }
  absl::StatusOr<shim::TaskExit> deleted = tasks.Delete(id, "");
  if (ShimGone(deleted.status())) return DeleteWithoutShim(id, place);
  if (!deleted.ok() && !absl::IsNotFound(deleted.status())) {
    return absl::InternalError(absl::StrCat("shim delete ", id, ": ", deleted.status().message()));
  }
  // The shim exits once it holds no task; it ignores this while others remain.
  (void)tasks.Shutdown(id, false);
  if (!last_task) return absl::OkStatus();
  if (process.ok()) {
    AwaitShimExit(id, *process, place.state_dir);
  } else {
    spdlog::warn("not waiting for the shim of {} to exit: {}", id, process.status().message());
  }
  return absl::OkStatus();
}

bool VmRuntime::OtherTasksShareShim(const std::string& id, const std::string& state_dir) const {
  absl::StatusOr<std::string> address = ShimAddressIn(state_dir);
  if (!address.ok()) return false;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(options_.tasks_dir);
  if (!entries.ok()) return true;  // unknown: as if the shim served others, so it is not killed
  for (const util::DirectoryEntry& entry : *entries) {
    // Records are files named after their tasks (beside them, `<id>.bundle` links for deletes).
    if (entry.type != fs::file_type::regular || entry.name == id) continue;
    absl::StatusOr<TaskPlace> other = FindTask(entry.name);
    if (!other.ok()) continue;
    absl::StatusOr<std::string> other_address = ShimAddressIn(other->state_dir);
    if (other_address.ok() && *other_address == *address) return true;
  }
  return false;
}

void VmRuntime::AwaitShimExit(const std::string& id, const shim::ShimProcess& process, const std::string& state_dir) {
  if (process.ExitsWithin(kShimExitWait)) {
    spdlog::debug("the shim of {} (pid {}) exited after its last task", id, process.pid());
  } else if (OtherTasksShareShim(id, state_dir)) {
    // A container created meanwhile joined the shim (its `start` answered before the shutdown).
    spdlog::info("the shim of {} (pid {}) stays: a task created meanwhile uses it", id, process.pid());
    return;
  } else if (absl::Status killed = process.Kill(); !killed.ok()) {
    spdlog::error("the shim of {} did not exit after its last task: {}", id, killed.message());
    return;
  } else {
    spdlog::warn("the shim of {} (pid {}) did not exit within {} s of its shutdown: killed", id, process.pid(),
                 kShimExitWait.count());
  }
  // A killed shim leaves its socket (one that exits removes it itself).
  RemoveDeadShimSocket(state_dir);
  ForgetConnection(state_dir);
}

void VmRuntime::ForgetConnection(const std::string& state_dir) {
  absl::StatusOr<std::string> address = ShimAddressIn(state_dir);
  if (!address.ok()) return;
  absl::MutexLock lock(&mu_);
  connections_.erase(*address);
}

absl::Status VmRuntime::DeleteWithoutShim(const std::string& id, const TaskPlace& place) {
  // Without an address the monitor never got a shim started: nothing to clean up there.
  if (access((place.state_dir + "/shim-address").c_str(), F_OK) != 0) return absl::OkStatus();
  shim::ShimStartOptions cleanup;
  cleanup.shim_path = options_.programs.runtime_path;
  cleanup.id = id;
  cleanup.bundle = place.bundle;
  // containerd-shim-runc-v2's `delete` reads the task's files from <parent of its working
  // dir>/<id>, as containerd names bundles after their tasks; a bundle named otherwise (a pod's
  // infra dir) is handed over through a link named after the task.
  const std::string link_dir = options_.tasks_dir + "/" + id + ".bundle";
  if (fs::path(place.bundle).filename() != id) {
    std::error_code ec;
    fs::remove_all(link_dir, ec);
    fs::create_directory(link_dir, ec);
    if (!ec) fs::create_directory_symlink(place.bundle, link_dir + "/" + id, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("linking bundle ", place.bundle, " as ", link_dir, "/", id, ": ", ec.message()));
    }
    cleanup.bundle = link_dir + "/" + id;
  }
  cleanup.ns = options_.ns;
  cleanup.address = options_.shim_address;
  cleanup.ttrpc_address = options_.ttrpc_address;
  cleanup.publish_binary = options_.programs.runtime_path;
  absl::Status deleted = shim::DeleteWithShimBinary(cleanup);
  std::error_code ec;
  fs::remove_all(link_dir, ec);
  if (deleted.ok()) {
    RemoveDeadShimSocket(place.state_dir);
    ForgetConnection(place.state_dir);
  }
  if (!deleted.ok()) {
    spdlog::warn("{} delete for {} (its shim is gone): {}", options_.programs.runtime_path, id, deleted.message());
  }
  return deleted;
}

absl::StatusOr<ExecResult> VmRuntime::ExecSync(const std::string& id, const std::string& state_dir,
                                               const std::string& process_json, std::chrono::seconds timeout) {
  absl::StatusOr<shim::TaskClient> tasks = TaskService(state_dir);
  if (!tasks.ok()) return tasks.status();
  std::string dir = state_dir + "/exec-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return util::SystemCallError("mkdtemp ", dir);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  util::UniqueFd fds[2];
  for (int stream = 0; stream < 2; ++stream) {
    absl::StatusOr<util::UniqueFd> fifo = MakeReadFifo(dir + (stream == 0 ? "/stdout" : "/stderr"));
    if (!fifo.ok()) return fifo.status();
    fds[stream] = std::move(*fifo);
  }
  const std::string exec_id = absl::StrCat("exec-", util::NewObjectId().substr(0, 16));
  shim::TaskStdio stdio;
  stdio.stdout_path = dir + "/stdout";
  stdio.stderr_path = dir + "/stderr";
  if (absl::Status s = tasks->Exec(id, exec_id, process_json, stdio); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("shim exec in ", id, ": ", s.message()));
  }
  if (absl::StatusOr<uint32_t> started = tasks->Start(id, exec_id); !started.ok()) {
    (void)tasks->Delete(id, exec_id);
    return absl::FailedPreconditionError(absl::StrCat("shim exec in ", id, ": ", started.status().message()));
  }

  ExecResult result;
  absl::Status waited;
  std::atomic<bool> exited{false};
  const auto wait = [&] {
    absl::StatusOr<shim::TaskExit> exit = tasks->Wait(id, exec_id, std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
    if (absl::IsDeadlineExceeded(exit.status())) {
      result.timed_out = true;
      (void)tasks->Kill(id, exec_id, SIGKILL, false);
      exit = tasks->Wait(id, exec_id, kKilledExitWait);
    }
    if (exit.ok()) {
      result.exit_code = static_cast<int>(exit->exit_status);
    } else {
      waited = exit.status();
    }
    exited = true;
  };
  // std::thread throws when no thread can be made (a process or system limit, which a
  // container's processes can reach): the exec is ended instead of cloisond.
  std::thread waiter;
  try {
    waiter = std::thread(wait);
  } catch (const std::system_error& error) {
    (void)tasks->Kill(id, exec_id, SIGKILL, false);
    (void)tasks->Delete(id, exec_id);
    return absl::ResourceExhaustedError(absl::StrCat("exec in ", id, ": no thread to wait for it: ", error.what()));
  }
  std::string out[2];
  CollectOutput(fds, out, exited);
  waiter.join();
  (void)tasks->Delete(id, exec_id);
  if (!waited.ok() && !result.timed_out) {
    return absl::InternalError(absl::StrCat("waiting for exec in ", id, ": ", waited.message()));
  }
  result.stdout_bytes = std::move(out[0]);
  result.stderr_bytes = std::move(out[1]);
  return result;
}

absl::StatusOr<std::vector<std::string>> VmRuntime::ExecCommand(const std::string& id,
                                                                const std::string& process_file,
                                                                const std::string& /*pid_file*/) const {
  absl::StatusOr<TaskPlace> place = FindTask(id);
  if (!place.ok()) return place.status();
  absl::StatusOr<std::string> address = ShimAddressIn(place->state_dir);
  if (!address.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " has no shim: ", address.status().message()));
  }
  return std::vector<std::string>{options_.programs.monitor_path, "--shim-exec", "--id", id, "--shim-address",
                                  *address, "--shim-namespace", options_.ns,
                                  "--process-spec", process_file, "--state-dir", place->state_dir};
}

absl::Status VmRuntime::Update(const std::string& id, const std::string& state_dir,
                               const std::string& resources_json) {
  absl::StatusOr<shim::TaskClient> tasks = TaskService(state_dir);
  if (!tasks.ok()) return tasks.status();
  if (absl::Status s = tasks->Update(id, resources_json); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("shim update ", id, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace cloison::runtime
