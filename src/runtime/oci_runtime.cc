#include "cloison/runtime/oci_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloison/runtime/monitor_client.h"
#include "cloison/runtime/runsc_quirks.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/command.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_socket.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace cloison::runtime {
namespace {

constexpr std::chrono::seconds kCreateTimeout{120};
constexpr std::chrono::seconds kStartTimeout{60};
constexpr std::chrono::seconds kCliTimeout{30};
constexpr size_t kMaxExecOutput = 16 << 20;

// Starts the monitor with `sync_fd` as its fd 3 and everything else on /dev/null (its own
// diagnostics go to `log_file`). Returns the pid of the process spawned (which forks the
// long-lived monitor and exits).
absl::StatusOr<pid_t> SpawnMonitor(const std::vector<std::string>& argv, int sync_fd, const std::string& log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, sync_fd, 3);
  absl::StatusOr<pid_t> pid = util::SpawnWithDefaultSignals(argv[0], argv, actions, environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Reads the sync pipe until EOF or the deadline.
absl::StatusOr<std::string> ReadSyncPipe(int fd, std::chrono::seconds timeout) {
  std::string data;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("the container monitor did not report within the create timeout");
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) return data;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::InternalError(absl::StrCat("reading the monitor's sync pipe: ", std::strerror(errno)));
    }
    data.append(buffer, static_cast<size_t>(n));
  }
}

bool MeansGone(absl::string_view message) {
  return absl::StrContains(message, "does not exist") || absl::StrContains(message, "not running") ||
         absl::StrContains(message, "container not found") || absl::StrContains(message, "no such process");
}

std::string Trimmed(const util::CommandResult& result) {
  return std::string(absl::StripAsciiWhitespace(result.stderr_text.empty() ? result.stdout_text : result.stderr_text));
}

absl::StatusOr<std::string> ReadCapped(const std::string& path) {
  absl::StatusOr<std::string> content = util::ReadFile(path);
  if (content.ok() && content->size() > kMaxExecOutput) content->resize(kMaxExecOutput);
  return content;
}

std::string MonitorBesideDaemon() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "cloison-monitor").string();
}

}  // namespace

absl::StatusOr<ExitRecord> ReadExitFile(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (!text.ok()) return text.status();
  const nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object()) return absl::DataLossError(absl::StrCat(path, " is not a JSON object"));
  ExitRecord record;
  record.exit_code = doc.value("exit_code", -1);
  record.signal = doc.value("signal", 0);
  record.exited_at_ns = doc.value("exited_at", int64_t{0});
  record.oom_killed = doc.value("oom_killed", false);
  return record;
}

OciRuntimeOptions OciOptionsForHandler(const HandlerInfo& handler, bool systemd_cgroup) {
  OciRuntimeOptions options;
  options.runtime_path = handler.resolved_path;
  options.global_args.push_back(absl::StrCat("--root=", handler.config.runtime_root));
  if (systemd_cgroup) options.global_args.push_back("--systemd-cgroup");
  options.global_args.insert(options.global_args.end(), handler.config.runtime_args.begin(),
                             handler.config.runtime_args.end());
  options.monitor_path = handler.config.monitor_path.empty() ? MonitorBesideDaemon() : handler.config.monitor_path;
  if (IsRunsc(handler)) {
    // The spec's seccomp profile is only applied inside the sandbox with --oci-seccomp.
    if (std::find(options.global_args.begin(), options.global_args.end(), "--oci-seccomp") == options.global_args.end()) {
      options.global_args.push_back("--oci-seccomp");
    }
    options.stdio_at_start = true;
    options.wait_with_runtime = true;
    options.kill_exec_with_runtime = true;
  }
  return options;
}

OciRuntime::OciRuntime(OciRuntimeOptions options) : options_(std::move(options)) {}

std::vector<std::string> OciRuntime::RuntimeCommand(std::initializer_list<std::string> subcommand) const {
  std::vector<std::string> argv = {options_.runtime_path};
  argv.insert(argv.end(), options_.global_args.begin(), options_.global_args.end());
  argv.insert(argv.end(), subcommand.begin(), subcommand.end());
  return argv;
}

std::vector<std::string> OciRuntime::MonitorRuntimeArgs() const {
  std::vector<std::string> args = {"--runtime", options_.runtime_path};
  for (const std::string& arg : options_.global_args) {
    args.push_back("--runtime-arg");
    args.push_back(arg);
  }
  return args;
}

absl::StatusOr<CreateResult> OciRuntime::Create(const CreateRequest& request) {
  for (const std::string& dir : {request.state_dir, request.socket_dir}) {
    if (absl::Status s = util::MakeDirs(dir, 0700); !s.ok()) return s;
  }
  std::vector<std::string> argv = {options_.monitor_path, "--id", request.id, "--bundle", request.bundle};
  const std::vector<std::string> runtime_args = MonitorRuntimeArgs();
  argv.insert(argv.end(), runtime_args.begin(), runtime_args.end());
  argv.insert(argv.end(), {"--log-path", request.log_path.empty() ? "/dev/null" : request.log_path,
                           "--exit-file", request.exit_file, "--socket-dir", request.socket_dir,
                           "--pid-file", request.state_dir + "/monitor.pid", "--sync-fd", "3"});
  if (request.tty) argv.push_back("--tty");
  if (request.stdin) argv.push_back("--stdin");
  if (request.stdin_once) argv.push_back("--stdin-once");
  if (options_.stdio_at_start) argv.push_back("--stdio-at-start");
  if (options_.wait_with_runtime) argv.push_back("--wait-with-runtime");

  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  util::UniqueFd sync_read(sync[0]), sync_write(sync[1]);
  absl::StatusOr<pid_t> spawned = SpawnMonitor(argv, sync_write.get(), request.state_dir + "/monitor.log");
  sync_write.reset();
  if (!spawned.ok()) return spawned.status();
  int wait_status = 0;
  while (waitpid(*spawned, &wait_status, 0) < 0 && errno == EINTR) {
  }
  absl::StatusOr<std::string> report = ReadSyncPipe(sync_read.get(), kCreateTimeout);
  if (!report.ok()) return report.status();
  const nlohmann::json doc = nlohmann::json::parse(*report, nullptr, false);
  if (!doc.is_object() || !doc.contains("pid")) {
    absl::StatusOr<std::string> log = util::ReadFile(request.state_dir + "/monitor.log");
    return absl::InternalError(absl::StrCat("container monitor failed before creating ", request.id, ": ",
                                            log.ok() ? std::string(absl::StripAsciiWhitespace(*log)) : "no report"));
  }
  const int pid = doc.value("pid", -1);
  if (pid <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(options_.runtime_path, " create failed: ", doc.value("message", "unknown error")));
  }
  CreateResult result;
  result.pid = pid;
  absl::StatusOr<std::string> monitor_pid = util::ReadFile(request.state_dir + "/monitor.pid");
  if (monitor_pid.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*monitor_pid), &result.monitor_pid);
  return result;
}

absl::Status OciRuntime::Start(const CreateRequest& request) {
  absl::StatusOr<nlohmann::json> reply = CallMonitor(request.socket_dir + "/ctl", {{"op", "start"}}, kStartTimeout);
  if (!reply.ok()) return reply.status();
  if (!reply->value("ok", false)) {
    return absl::FailedPreconditionError(
        absl::StrCat(options_.runtime_path, " start failed: ", reply->value("message", "unknown error")));
  }
  return absl::OkStatus();
}

absl::Status OciRuntime::Kill(const std::string& id, int signal) {
  absl::StatusOr<util::CommandResult> result =
      util::RunCommand(RuntimeCommand({"kill", id, std::to_string(signal)}), kCliTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0 || MeansGone(Trimmed(*result)) || Stopped(id)) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(options_.runtime_path, " kill ", id, ": ", Trimmed(*result)));
}

bool OciRuntime::Stopped(const std::string& id) const {
  absl::StatusOr<util::CommandResult> result = util::RunCommand(RuntimeCommand({"state", id}), kCliTimeout);
  if (!result.ok() || result->exit_code != 0) return false;
  const nlohmann::json state = nlohmann::json::parse(result->stdout_text, nullptr, false);
  return state.is_object() && state.value("status", "") == "stopped";
}

absl::Status OciRuntime::Delete(const std::string& id) {
  absl::StatusOr<util::CommandResult> result = util::RunCommand(RuntimeCommand({"delete", "--force", id}), kCliTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0 || MeansGone(Trimmed(*result))) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(options_.runtime_path, " delete ", id, ": ", Trimmed(*result)));
}

absl::StatusOr<ExecResult> OciRuntime::ExecSync(const std::string& id, const std::string& state_dir,
                                                const std::string& process_json, std::chrono::seconds timeout) {
  std::string dir = state_dir + "/exec-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  if (absl::Status s = util::WriteFileAtomically(dir + "/process.json", process_json); !s.ok()) return s;
  std::vector<std::string> argv = {options_.monitor_path, "--exec", "--id", id};
  const std::vector<std::string> runtime_args = MonitorRuntimeArgs();
  argv.insert(argv.end(), runtime_args.begin(), runtime_args.end());
  argv.insert(argv.end(), {"--process-spec", dir + "/process.json", "--stdout-file", dir + "/stdout",
                           "--stderr-file", dir + "/stderr", "--timeout", std::to_string(timeout.count())});
  if (options_.kill_exec_with_runtime) argv.push_back("--kill-with-runtime");
  // The monitor enforces `timeout`; this bound only guards against a stuck monitor.
  const auto guard = timeout.count() > 0 ? timeout + std::chrono::seconds(30) : std::chrono::hours(24 * 365);
  absl::StatusOr<util::CommandResult> run =
      util::RunCommand(argv, std::chrono::duration_cast<std::chrono::milliseconds>(guard));
  if (!run.ok()) return run.status();
  const nlohmann::json doc = nlohmann::json::parse(run->stdout_text, nullptr, false);
  if (run->exit_code != 0 || !doc.is_object()) {
    return absl::InternalError(absl::StrCat("exec in ", id, " failed: ", Trimmed(*run)));
  }
  ExecResult result;
  result.exit_code = doc.value("exit_code", -1);
  result.timed_out = doc.value("timed_out", false);
  absl::StatusOr<std::string> out = ReadCapped(dir + "/stdout");
  absl::StatusOr<std::string> err = ReadCapped(dir + "/stderr");
  if (out.ok()) result.stdout_bytes = std::move(*out);
  if (err.ok()) result.stderr_bytes = std::move(*err);
  return result;
}

absl::StatusOr<std::vector<std::string>> OciRuntime::ExecCommand(const std::string& id,
                                                                 const std::string& process_file,
                                                                 const std::string& pid_file) const {
  return RuntimeCommand({"exec", "--process", process_file, "--pid-file", pid_file, id});
}

absl::Status OciRuntime::ReopenLog(const CreateRequest& request) {
  absl::StatusOr<nlohmann::json> reply =
      CallMonitor(request.socket_dir + "/ctl", {{"op", "reopen"}}, std::chrono::seconds(10));
  if (!reply.ok()) return reply.status();
  if (!reply->value("ok", false)) {
    return absl::InternalError(absl::StrCat("reopening the log: ", reply->value("message", "unknown error")));
  }
  return absl::OkStatus();
}

absl::Status OciRuntime::Update(const std::string& id, const std::string& state_dir,
                                const std::string& resources_json) {
  const std::string file = state_dir + "/resources.json";
  if (absl::Status s = util::WriteFileAtomically(file, resources_json); !s.ok()) return s;
  absl::StatusOr<util::CommandResult> result =
      util::RunCommand(RuntimeCommand({"update", "--resources", file, id}), kCliTimeout);
  unlink(file.c_str());
  if (!result.ok()) return result.status();
  if (result->exit_code == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(options_.runtime_path, " update ", id, ": ", Trimmed(*result)));
}

}  // namespace cloison::runtime
