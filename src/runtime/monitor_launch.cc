#include "cloison/runtime/monitor_launch.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloison/runtime/monitor_client.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/command.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/liveness_lock.h"
#include "cloison/util/pid_file.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_socket.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace cloison::runtime {
namespace {

// The monitor bounds the runtime's create by kRuntimeCreateTimeout and then reports; this
// bound only guards against a stuck monitor.
constexpr std::chrono::seconds kCreateTimeout = kRuntimeCreateTimeout + std::chrono::seconds(15);
constexpr std::chrono::seconds kStartTimeout{60};

// The fds the monitor gets: the sync pipe's write end (--sync-fd) and its liveness lock
// (--lock-fd).
constexpr int kSyncFd = 3;
constexpr int kLockFd = 4;

// Starts the monitor from `monitor` with `sync_fd` as its fd 3, `lock_fd` as its fd 4 and
// everything else on /dev/null (its own diagnostics go to `log_file`). Returns the pid of the
// process spawned (which forks the long-lived monitor and exits).
absl::StatusOr<pid_t> SpawnMonitor(const util::SealedCopy& monitor, const std::vector<std::string>& argv, int sync_fd,
                                   int lock_fd, const std::string& log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, sync_fd, kSyncFd);
  posix_spawn_file_actions_adddup2(&actions, lock_fd, kLockFd);
  absl::StatusOr<pid_t> pid = util::SpawnWithDefaultSignals(monitor.ExecPath(), argv, actions, environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// `fd` moved above the monitor's fixed fds (close-on-exec), so that no dup2 onto one of them
// clobbers another still to be handed over, and each dup2 makes a descriptor the monitor keeps.
absl::StatusOr<util::UniqueFd> AboveFixedFds(util::UniqueFd fd) {
  util::UniqueFd above(fcntl(fd.get(), F_DUPFD_CLOEXEC, kLockFd + 1));
  if (!above.valid()) return util::SystemCallError("fcntl(F_DUPFD_CLOEXEC)");
  return above;
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
      return util::SystemCallError("poll");
    }
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) return data;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return util::SystemCallError("reading the monitor's sync pipe");
    }
    data.append(buffer, static_cast<size_t>(n));
  }
}

// A ctl reply {"ok":bool,"message":...}: anything but "ok": true is a failure, and a message
// of another type reads as unknown.
bool ReplyOk(const nlohmann::json& reply) { return util::BoolField(reply, "ok", "monitor reply").value_or(false); }

std::string ReplyMessage(const nlohmann::json& reply) {
  return util::StringField(reply, "message", "monitor reply", "unknown error").value_or("unknown error");
}

}  // namespace

std::string MonitorBesideDaemon() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "cloison-monitor").string();
}

HandlerPrograms ProgramsForHandler(const HandlerInfo& handler) {
  return HandlerPrograms{handler.resolved_path,
                         handler.config.monitor_path.empty() ? MonitorBesideDaemon() : handler.config.monitor_path};
}

absl::StatusOr<std::shared_ptr<const util::SealedCopy>> SealedMonitor(const std::string& path) {
  absl::StatusOr<std::shared_ptr<const util::SealedCopy>> copy = util::SharedSealedExecutable(path)->Current();
  if (!copy.ok()) {
    return absl::Status(copy.status().code(), absl::StrCat("the container monitor: ", copy.status().message()));
  }
  return copy;
}

std::string MonitorLockPath(const std::string& state_dir) { return state_dir + "/monitor.lock"; }

std::vector<std::string> MonitorContainerFlags(const CreateRequest& request) {
  std::vector<std::string> flags = {"--id", request.id, "--bundle", request.bundle,
                                    "--log-path", request.log_path.empty() ? "/dev/null" : request.log_path,
                                    "--exit-file", request.exit_file, "--socket-dir", request.socket_dir,
                                    "--pid-file", request.state_dir + "/monitor.pid",
                                    "--sync-fd", std::to_string(kSyncFd), "--lock-fd", std::to_string(kLockFd)};
  if (request.tty) flags.push_back("--tty");
  if (request.stdin) flags.push_back("--stdin");
  if (request.stdin_once) flags.push_back("--stdin-once");
  return flags;
}

absl::StatusOr<CreateResult> LaunchContainerMonitor(const std::vector<std::string>& argv, const CreateRequest& request,
                                                    absl::string_view what) {
  for (const std::string& dir : {request.state_dir, request.socket_dir}) {
    if (absl::Status s = util::MakeDirs(dir, 0700); !s.ok()) return s;
  }
  absl::StatusOr<std::shared_ptr<const util::SealedCopy>> monitor = SealedMonitor(argv[0]);
  if (!monitor.ok()) return monitor.status();
  absl::StatusOr<util::UniqueFd> taken = util::TakeLivenessLock(MonitorLockPath(request.state_dir));
  if (!taken.ok()) return taken.status();
  absl::StatusOr<util::UniqueFd> lock = AboveFixedFds(std::move(*taken));
  if (!lock.ok()) return lock.status();
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return util::SystemCallError("pipe");
  util::UniqueFd sync_read(sync[0]);
  absl::StatusOr<util::UniqueFd> sync_write = AboveFixedFds(util::UniqueFd(sync[1]));
  if (!sync_write.ok()) return sync_write.status();
  absl::StatusOr<pid_t> spawned =
      SpawnMonitor(**monitor, argv, sync_write->get(), lock->get(), request.state_dir + "/monitor.log");
  sync_write->reset();
  lock->reset();  // the monitor holds it now, and keeps it until it (and its daemonized self) exits
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
  constexpr absl::string_view kReport = "the container monitor's report";
  absl::StatusOr<int64_t> pid = util::IntegerField(doc, "pid", kReport, -1);
  if (!pid.ok()) return absl::InternalError(pid.status().message());
  if (*pid > std::numeric_limits<int>::max()) {
    return absl::InternalError(absl::StrCat(kReport, ": \"pid\" is out of range: ", *pid));
  }
  if (*pid <= 0) {
    const std::string message =
        absl::StrCat(what, " failed: ", util::StringField(doc, "message", kReport).value_or("unknown error"));
    if (util::BoolField(doc, "timed_out", kReport).value_or(false)) return absl::DeadlineExceededError(message);
    return absl::FailedPreconditionError(message);
  }
  CreateResult result;
  result.pid = static_cast<int>(*pid);
  result.monitor_pid = util::ReadPidFile(request.state_dir + "/monitor.pid");
  return result;
}

absl::Status StartThroughMonitor(const CreateRequest& request, absl::string_view what) {
  absl::StatusOr<nlohmann::json> reply = CallMonitor(request.socket_dir + "/ctl", {{"op", "start"}}, kStartTimeout);
  if (!reply.ok()) return reply.status();
  if (!ReplyOk(*reply)) {
    return absl::FailedPreconditionError(absl::StrCat(what, " start failed: ", ReplyMessage(*reply)));
  }
  return absl::OkStatus();
}

absl::Status ReopenLogThroughMonitor(const CreateRequest& request) {
  absl::StatusOr<nlohmann::json> reply =
      CallMonitor(request.socket_dir + "/ctl", {{"op", "reopen"}}, std::chrono::seconds(10));
  if (!reply.ok()) return reply.status();
  if (!ReplyOk(*reply)) {
    return absl::InternalError(absl::StrCat("reopening the log: ", ReplyMessage(*reply)));
  }
  return absl::OkStatus();
}

}  // namespace cloison::runtime
