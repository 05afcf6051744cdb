#include "cloison/monitor/exec_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>

#include "cloison/monitor/direct_exec.h"
#include "cloison/monitor/process.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/output_drain.h"
#include "cloison/util/pid_file.h"
#include "cloison/util/unique_fd.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxCapture = 16 << 20;
// Output is read after the exec ends until EOF, until nothing came for kGrace, or for at most
// util::kDrainLimit (the monitors' drain bound: util/output_drain.h); after a timeout kill, for
// kGrace at most.
constexpr auto kGrace = std::chrono::milliseconds(500);
// How long `<runtime> kill` of a timed-out exec may take.
constexpr auto kKillLimit = std::chrono::seconds(5);

struct ExecResult {
  int exit_code = -1;
  bool timed_out = false;
  bool direct = false;
  std::string fallback;  // why --direct-exec was not taken
};

// One output stream: the pipe from the runtime and the file it is copied to.
struct Sink {
  util::UniqueFd pipe;
  util::UniqueFd file;
  size_t copied = 0;
  absl::Status status;

  // Copies one read's worth (one per poll round, so a flood of output cannot starve the
  // timeout); returns whether anything was read. Closes the pipe at EOF.
  bool Copy() {
    char buffer[65536];
    const ssize_t n = read(pipe.get(), buffer, sizeof(buffer));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n <= 0) {
      pipe.reset();
      return false;
    }
    const size_t keep = std::min(static_cast<size_t>(n), kMaxCapture - copied);
    for (size_t done = 0; done < keep && status.ok();) {
      const ssize_t written = write(file.get(), buffer + done, keep - done);
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) status = util::SystemCallError("writing exec output");
      if (written > 0) done += static_cast<size_t>(written);
    }
    copied += keep;
    return true;
  }
};

absl::StatusOr<util::UniqueFd> OpenOutput(const std::string& path) {
  util::UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return util::SystemCallError("open ", path);
  return fd;
}

// Runs `<runtime> kill --pid N <id> KILL` for the exec'd process inside the container, for
// at most kKillLimit.
void KillInsideContainer(const MonitorOptions& options, pid_t internal_pid) {
  absl::StatusOr<pid_t> killer = Spawn(
      RuntimeCommand(options, {"kill", "--pid", std::to_string(internal_pid), options.id, "KILL"}), Stdio{});
  if (!killer.ok()) return;
  const Clock::time_point until = Clock::now() + kKillLimit;
  while (waitpid(*killer, nullptr, WNOHANG) == 0) {
    if (Clock::now() >= until) {
      kill(*killer, SIGKILL);
      waitpid(*killer, nullptr, 0);
      return;
    }
    usleep(10 * 1000);
  }
}

void KillExec(const MonitorOptions& options, const std::string& pid_file, pid_t runtime_pid) {
  if (options.kill_with_runtime) {
    if (const pid_t internal = util::ReadPidFile(pid_file + ".internal"); internal > 0) KillInsideContainer(options, internal);
  }
  if (const pid_t pid = util::ReadPidFile(pid_file); pid > 0) kill(pid, SIGKILL);
  kill(runtime_pid, SIGKILL);
}

int PollTimeout(Clock::time_point until) {
  if (until == Clock::time_point::max()) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

absl::StatusOr<ExecResult> Execute(const MonitorOptions& options) {
  absl::StatusOr<util::UniqueFd> child_signals = OpenChildSignalFd();
  if (!child_signals.ok()) return child_signals.status();
  const util::UniqueFd signal_fd = std::move(*child_signals);

  Sink sinks[2];
  util::UniqueFd write_ends[2];
  const std::string* paths[2] = {&options.stdout_file, &options.stderr_file};
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<util::UniqueFd> file = OpenOutput(*paths[i]);
    if (!file.ok()) return file.status();
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) return pipe.status();
    if (absl::Status s = SetNonBlocking(pipe->read.get()); !s.ok()) return s;
    sinks[i].file = std::move(*file);
    sinks[i].pipe = std::move(pipe->read);
    write_ends[i] = std::move(pipe->write);
  }
  const std::string pid_file = options.stdout_file + ".pid";
  unlink(pid_file.c_str());
  unlink((pid_file + ".internal").c_str());
  std::vector<std::string> exec = {"exec", "--process", options.process_spec, "--pid-file", pid_file};
  if (options.kill_with_runtime) exec.insert(exec.end(), {"--internal-pid-file", pid_file + ".internal"});
  exec.push_back(options.id);
  ExecResult result;
  absl::StatusOr<pid_t> runtime = absl::UnimplementedError("--direct-exec not given");
  if (options.direct_exec) runtime = StartDirectExec(options, write_ends[0].get(), write_ends[1].get());
  result.direct = runtime.ok();
  if (!runtime.ok()) {
    result.fallback = std::string(runtime.status().message());
    runtime = Spawn(RuntimeCommand(options, exec), Stdio{-1, write_ends[0].get(), write_ends[1].get()});
  }
  write_ends[0].reset();
  write_ends[1].reset();
  if (!runtime.ok()) return runtime.status();

  const Clock::time_point deadline = options.timeout_seconds > 0
                                         ? Clock::now() + std::chrono::seconds(options.timeout_seconds)
                                         : Clock::time_point::max();
  std::optional<int> status;
  Clock::time_point exited_at = Clock::now();
  Clock::time_point last_activity = Clock::now();
  while (true) {
    const Clock::time_point now = Clock::now();
    const bool reading = sinks[0].pipe.valid() || sinks[1].pipe.valid();
    std::optional<Clock::time_point> stop_reading;
    if (status) {
      stop_reading = result.timed_out ? last_activity + kGrace
                                      : std::min(last_activity + kGrace, exited_at + util::kDrainLimit);
      if (!reading || now >= *stop_reading) break;
    }
    if (!status && !result.timed_out && now >= deadline) {
      KillExec(options, pid_file, *runtime);
      result.timed_out = true;
      last_activity = now;
      continue;
    }
    const Clock::time_point wake =
        stop_reading ? *stop_reading : (result.timed_out ? Clock::time_point::max() : deadline);
    pollfd fds[3] = {{signal_fd.get(), POLLIN, 0}, {sinks[0].pipe.get(), POLLIN, 0}, {sinks[1].pipe.get(), POLLIN, 0}};
    if (poll(fds, 3, PollTimeout(wake)) < 0 && errno != EINTR) return util::SystemCallError("poll");
    if (fds[0].revents & POLLIN) {
      DrainSignalFd(signal_fd.get());
      int wait_status = 0;
      if (!status && waitpid(*runtime, &wait_status, WNOHANG) == *runtime) {
        status = wait_status;
        exited_at = Clock::now();
        if (!result.timed_out) last_activity = exited_at;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents != 0 && sinks[i].pipe.valid() && sinks[i].Copy() && !result.timed_out) {
        last_activity = Clock::now();
      }
    }
  }
  unlink(pid_file.c_str());
  unlink((pid_file + ".internal").c_str());
  for (const Sink& sink : sinks) {
    if (!sink.status.ok()) return sink.status;
  }
  if (!result.timed_out) result.exit_code = WIFSIGNALED(*status) ? 128 + WTERMSIG(*status) : WEXITSTATUS(*status);
  return result;
}

}  // namespace

int RunExec(const MonitorOptions& options) {
  absl::StatusOr<ExecResult> result = Execute(options);
  if (!result.ok()) {
    std::fprintf(stderr, "cloison-monitor: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  const nlohmann::json report = {{"exit_code", result->exit_code},
                                 {"timed_out", result->timed_out},
                                 {"direct", result->direct},
                                 {"fallback", result->fallback}};
  std::printf("%s\n", report.dump().c_str());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace cloison::monitor
