#include "cloison/monitor/container_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <list>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloison/monitor/attach_hub.h"
#include "cloison/monitor/ctl_protocol.h"
#include "cloison/monitor/ctl_server.h"
#include "cloison/monitor/daemonize.h"
#include "cloison/monitor/exit_file.h"
#include "cloison/monitor/oom_counter.h"
#include "cloison/monitor/output_relay.h"
#include "cloison/monitor/poll_set.h"
#include "cloison/monitor/process.h"
#include "cloison/monitor/sockets.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/ids.h"
#include "cloison/util/json_file.h"
#include "cloison/util/unix_socket.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxMessage = 64 * 1024;

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("exit status ", WEXITSTATUS(status));
}

bool Succeeded(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

class ContainerMonitor {
 public:
  explicit ContainerMonitor(const MonitorOptions& options)
      : options_(options),
        ctl_path_(options.socket_dir + "/ctl"),
        attach_path_(options.socket_dir + "/attach"),
        console_path_(options.socket_dir + "/console.sock"),
        attach_(options.stdin_once, options.tty),
        output_(attach_),
        ctl_([this](uint64_t client_id, absl::string_view packet) { HandleCtl(client_id, packet); }) {}

  int Run();

 private:
  absl::Status Prepare();
  absl::StatusOr<pid_t> Create();
  absl::StatusOr<int> WaitForRuntime(pid_t pid, absl::string_view verb);
  void AdoptConsole(util::UniqueFd master);
  void Serve();
  void Watch(PollSet& poll);
  bool Done() const;
  int PollTimeoutMs() const;
  int Finish();
  void OpenOomCounter();
  bool OomKilled() const;
  void RemoveSockets() const;

  void OnSignal();
  void OnChildExit(pid_t pid, int status);
  void HandleCtl(uint64_t client_id, absl::string_view packet);
  void Reply(uint64_t client_id, const std::string& reply) { ctl_.Reply(client_id, reply); }
  absl::Status StartContainer(uint64_t client_id);
  void FinishStart(int status);
  void StartRuntimeWait();
  void FinishRuntimeWait();
  absl::Status Resize(unsigned short width, unsigned short height);
  void SetExited(ExitInfo info);

  const MonitorOptions options_;
  const std::string ctl_path_;
  const std::string attach_path_;
  const std::string console_path_;

  util::UniqueFd sync_fd_;
  util::UniqueFd signal_fd_;
  util::UniqueFd console_listen_;

  AttachHub attach_;
  // The monitor's ends of the container's output (in tty mode stream 0 is the pty master, and
  // the attach hub writes stdin to a duplicate of it).
  OutputRelay output_;
  CtlServer ctl_;

  // The container's ends of its stdio, kept for `start` with stdio_at_start.
  util::UniqueFd container_stdin_;
  util::UniqueFd container_stdout_;
  util::UniqueFd container_stderr_;

  pid_t container_pid_ = -1;
  std::optional<int> container_status_;
  std::optional<OomCounter> oom_;
  uint64_t oom_before_ = 0;

  pid_t start_pid_ = -1;
  uint64_t start_client_ = 0;
  util::UniqueFd start_output_;
  std::string start_text_;
  bool started_ = false;

  pid_t wait_pid_ = -1;
  util::UniqueFd wait_output_;
  std::string wait_text_;

  std::optional<ExitInfo> exit_;
};

int ContainerMonitor::Run() {
  sync_fd_.reset(options_.sync_fd);
  absl::Status prepared = Prepare();
  absl::StatusOr<pid_t> pid = prepared.ok() ? Create() : absl::StatusOr<pid_t>(prepared);
  if (!pid.ok()) {
    WriteAll(sync_fd_.get(), SyncFailureReport(pid.status(), absl::IsDeadlineExceeded(pid.status())));
    RemoveSockets();
    return 1;
  }
  container_pid_ = *pid;
  if (options_.run) {
    started_ = true;
    if (options_.wait_with_runtime) StartRuntimeWait();
  }
  OpenOomCounter();
  WriteAll(sync_fd_.get(), SyncPidReport(container_pid_));
  sync_fd_.reset();
  OnSignal();  // the wait for the runtime left SIGCHLDs pending: a container may be gone already
  Serve();
  return Finish();
}

absl::Status ContainerMonitor::Prepare() {
  absl::StatusOr<util::UniqueFd> signal_fd = OpenChildSignalFd();
  if (!signal_fd.ok()) return signal_fd.status();
  signal_fd_ = std::move(*signal_fd);

  if (absl::Status opened = output_.OpenLog(options_.log_path); !opened.ok()) return opened;

  if (absl::Status made = util::MakeDirs(options_.socket_dir, 0700); !made.ok()) return made;
  if (absl::Status s = ListenCtlAndAttach(ctl_path_, attach_path_, ctl_, attach_); !s.ok()) return s;

  if (options_.tty) {
    absl::StatusOr<util::UniqueFd> console = Listen(console_path_, SOCK_STREAM);
    if (!console.ok()) return console.status();
    console_listen_ = std::move(*console);
    return absl::OkStatus();
  }
  for (int stream = 0; stream < 2; ++stream) {
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) return pipe.status();
    if (absl::Status s = SetNonBlocking(pipe->read.get()); !s.ok()) return s;
    output_.SetOutput(stream, std::move(pipe->read));
    (stream == 0 ? container_stdout_ : container_stderr_) = std::move(pipe->write);
  }
  if (options_.stdin_open) {
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) return pipe.status();
    if (absl::Status s = SetNonBlocking(pipe->write.get()); !s.ok()) return s;
    attach_.SetStdin(std::move(pipe->write));
    container_stdin_ = std::move(pipe->read);
  }
  return absl::OkStatus();
}

absl::StatusOr<pid_t> ContainerMonitor::Create() {
  const std::string pid_file = options_.bundle + "/pidfile";
  const char* verb = options_.run ? "run" : "create";
  std::vector<std::string> command{verb};
  if (options_.run) command.push_back("--detach");
  command.insert(command.end(), {"--bundle", options_.bundle, "--pid-file", pid_file});
  if (options_.tty) command.insert(command.end(), {"--console-socket", console_path_});
  command.push_back(options_.id);

  // runc passes create's (or run's) stdio on to the container; runsc takes it from start
  // (stdio_at_start). Otherwise the runtime's output goes to a capture pipe, for the error message.
  const bool direct = !options_.tty && (!options_.stdio_at_start || options_.run);
  Stdio stdio{container_stdin_.get(), container_stdout_.get(), container_stderr_.get()};
  std::optional<Pipe> capture;
  if (!direct) {
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) return pipe.status();
    capture = std::move(*pipe);
    stdio = Stdio{-1, capture->write.get(), capture->write.get()};
  }
  unlink(pid_file.c_str());
  absl::StatusOr<pid_t> create = Spawn(RuntimeCommand(options_, command), stdio, util::ProcessGroup::kOwn);
  if (capture) capture->write.reset();
  if (direct) {
    container_stdin_.reset();
    container_stdout_.reset();
    container_stderr_.reset();
  }
  if (!create.ok()) return create.status();
  absl::StatusOr<int> waited = WaitForRuntime(*create, verb);
  if (!waited.ok()) return waited.status();
  const int status = *waited;
  if (!Succeeded(status)) {
    std::string output;
    if (capture) {
      (void)SetNonBlocking(capture->read.get());
      ReadAvailable(capture->read.get(), output, kMaxMessage);
    } else {
      ReadAvailable(output_.output(1), output, kMaxMessage);
      ReadAvailable(output_.output(0), output, kMaxMessage);
    }
    std::string message(absl::StripAsciiWhitespace(output));
    if (message.empty()) message = absl::StrCat("runtime ", verb, " failed (", DescribeWaitStatus(status), ")");
    return absl::FailedPreconditionError(message);
  }

  if (console_listen_.valid()) {
    absl::StatusOr<util::UniqueFd> master = ReceiveConsole(console_listen_.get());
    if (master.ok()) {
      AdoptConsole(std::move(*master));
    } else if (!options_.stdio_at_start) {
      return master.status();
    }
  }
  absl::StatusOr<std::string> pid_text = util::ReadFile(pid_file);
  if (!pid_text.ok()) return pid_text.status();
  pid_t pid = 0;
  if (!absl::SimpleAtoi(*pid_text, &pid) || pid <= 0) {
    return absl::InternalError(absl::StrCat("bad pid in ", pid_file, ": ", *pid_text));
  }
  return pid;
}

// Waits for the runtime's create (or run) to exit, for at most the create timeout: past it the
// runtime's process group (the runtime and its hooks) is killed. Only `pid` is reaped here; the
// SIGCHLDs read meanwhile are made up for by the OnSignal() sweep that follows the report.
absl::StatusOr<int> ContainerMonitor::WaitForRuntime(pid_t pid, absl::string_view verb) {
  const bool bounded = options_.create_timeout_seconds > 0;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(options_.create_timeout_seconds);
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return util::SystemCallError("waitpid");
    int wait_ms = -1;
    if (bounded) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return absl::DeadlineExceededError(absl::StrCat("runtime ", verb, " did not finish within ",
                                                        options_.create_timeout_seconds,
                                                        " s; it was killed with its hooks"));
      }
      wait_ms = static_cast<int>(left);
    }
    pollfd pfd{signal_fd_.get(), POLLIN, 0};
    if (poll(&pfd, 1, wait_ms) > 0) DrainSignalFd(signal_fd_.get());
  }
}

void ContainerMonitor::AdoptConsole(util::UniqueFd master) {
  (void)SetNonBlocking(master.get());
  if (options_.stdin_open) attach_.SetStdin(util::UniqueFd(fcntl(master.get(), F_DUPFD_CLOEXEC, 3)));
  output_.SetOutput(0, std::move(master));
  console_listen_.reset();
  unlink(console_path_.c_str());
}

void ContainerMonitor::Serve() {
  while (!Done()) {
    PollSet poll;
    Watch(poll);
    poll.Run(PollTimeoutMs());
    ctl_.RemoveClosed();
    attach_.RemoveClosed();
  }
}

void ContainerMonitor::Watch(PollSet& poll) {
  poll.Add(signal_fd_.get(), POLLIN, [this](short) { OnSignal(); });
  ctl_.Watch(poll);
  attach_.Watch(poll);
  if (console_listen_.valid()) {
    poll.Add(console_listen_.get(), POLLIN, [this](short) {
      absl::StatusOr<util::UniqueFd> master = ReceiveConsole(console_listen_.get());
      if (master.ok()) AdoptConsole(std::move(*master));
    });
  }
  output_.Watch(poll);
  // The runtime's start and wait output is read as it comes, but their exit, not EOF, ends
  // them: runsc's start leaves a gofer holding its stdout.
  for (auto* capture : {&start_output_, &wait_output_}) {
    std::string& text = capture == &start_output_ ? start_text_ : wait_text_;
    if (capture->valid()) {
      poll.Add(capture->get(), POLLIN, [capture, &text](short) {
        if (!ReadAvailable(capture->get(), text, kMaxMessage)) capture->reset();
      });
    }
  }
}

bool ContainerMonitor::Done() const { return exit_ && start_pid_ <= 0 && output_.Drained(); }

int ContainerMonitor::PollTimeoutMs() const {
  if (!exit_ || start_pid_ > 0) return -1;  // a child's exit wakes the loop
  return output_.DrainTimeoutMs();
}

void ContainerMonitor::OnSignal() {
  DrainSignalFd(signal_fd_.get());
  int status = 0;
  pid_t pid = 0;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) OnChildExit(pid, status);
}

void ContainerMonitor::OnChildExit(pid_t pid, int status) {
  if (pid == start_pid_) {
    FinishStart(status);
  } else if (pid == wait_pid_) {
    FinishRuntimeWait();
  } else if (pid == container_pid_) {
    container_status_ = status;
    if (wait_pid_ < 0) SetExited(ExitInfoFromWaitStatus(status));
  }
}

void ContainerMonitor::SetExited(ExitInfo info) {
  if (exit_) return;
  info.exited_at_ns = util::NowNanos();
  exit_ = info;
  output_.StartDrain();
}

void ContainerMonitor::HandleCtl(uint64_t client_id, absl::string_view packet) {
  absl::StatusOr<CtlRequest> request = ParseCtlRequest(packet);
  if (!request.ok()) return Reply(client_id, CtlReply(request.status()));
  switch (request->op) {
    case CtlRequest::Op::kStart:
      // Answered when the runtime's start exits.
      if (absl::Status started = StartContainer(client_id); !started.ok()) Reply(client_id, CtlReply(started));
      return;
    case CtlRequest::Op::kReopen:
      return Reply(client_id, CtlReply(output_.ReopenLog()));
    case CtlRequest::Op::kResize:
      return Reply(client_id, CtlReply(Resize(request->width, request->height)));
    case CtlRequest::Op::kState:
      return Reply(client_id, CtlStateReply(container_pid_, !exit_.has_value(), started_));
  }
}

absl::Status ContainerMonitor::Resize(unsigned short width, unsigned short height) {
  if (!options_.tty || output_.output(0) < 0) return absl::FailedPreconditionError("the container has no terminal");
  winsize size{};
  size.ws_col = width;
  size.ws_row = height;
  if (ioctl(output_.output(0), TIOCSWINSZ, &size) != 0) return util::SystemCallError("TIOCSWINSZ");
  return absl::OkStatus();
}

absl::Status ContainerMonitor::StartContainer(uint64_t client_id) {
  if (start_pid_ > 0) return absl::FailedPreconditionError("a start is already in progress");
  if (started_) return absl::FailedPreconditionError("the container has already started");
  if (exit_) return absl::FailedPreconditionError("the container has already exited");
  Stdio stdio;
  std::optional<Pipe> capture;
  if (options_.stdio_at_start && !options_.tty) {
    stdio = Stdio{container_stdin_.get(), container_stdout_.get(), container_stderr_.get()};
  } else {
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) return pipe.status();
    capture = std::move(*pipe);
    stdio = Stdio{-1, capture->write.get(), capture->write.get()};
  }
  absl::StatusOr<pid_t> pid = Spawn(RuntimeCommand(options_, {"start", options_.id}), stdio);
  if (!pid.ok()) return pid.status();
  if (capture) {
    (void)SetNonBlocking(capture->read.get());
    start_output_ = std::move(capture->read);
  }
  start_text_.clear();
  start_pid_ = *pid;
  start_client_ = client_id;
  return absl::OkStatus();
}

void ContainerMonitor::FinishStart(int status) {
  if (start_output_.valid()) ReadAvailable(start_output_.get(), start_text_, kMaxMessage);
  start_output_.reset();
  start_pid_ = -1;
  if (!Succeeded(status)) {
    std::string message(absl::StripAsciiWhitespace(start_text_));
    if (message.empty()) message = absl::StrCat("runtime start failed (", DescribeWaitStatus(status), ")");
    return Reply(start_client_, CtlReply(absl::FailedPreconditionError(message)));
  }
  started_ = true;
  if (options_.stdio_at_start) {  // the container holds its stdio now; EOF must be able to come
    container_stdin_.reset();
    container_stdout_.reset();
    container_stderr_.reset();
  }
  if (options_.wait_with_runtime && !exit_) StartRuntimeWait();
  Reply(start_client_, CtlReply(absl::OkStatus()));
}

void ContainerMonitor::StartRuntimeWait() {
  absl::StatusOr<Pipe> pipe = MakePipe();
  if (!pipe.ok()) return;  // then the container pid's exit decides
  absl::StatusOr<pid_t> pid = Spawn(RuntimeCommand(options_, {"wait", options_.id}), Stdio{-1, pipe->write.get(), -1});
  if (!pid.ok()) return;
  (void)SetNonBlocking(pipe->read.get());
  wait_output_ = std::move(pipe->read);
  wait_text_.clear();
  wait_pid_ = *pid;
}

void ContainerMonitor::FinishRuntimeWait() {
  if (wait_output_.valid()) ReadAvailable(wait_output_.get(), wait_text_, kMaxMessage);
  wait_output_.reset();
  wait_pid_ = -1;
  absl::StatusOr<ExitInfo> info = ExitInfoFromRuntimeWait(wait_text_);
  if (info.ok()) return SetExited(*info);
  if (container_status_) return SetExited(ExitInfoFromWaitStatus(*container_status_));
  ExitInfo unknown;
  unknown.exit_code = -1;  // the runtime could not say how the container ended
  SetExited(unknown);
}

// After create, the container has not run yet: the counter's value now is the baseline. After
// `run`, the container may have been OOM-killed already (and on cgroup v1 a zombie's
// /proc/<pid>/cgroup names the root cgroup): its cgroup is then found from the bundle's
// linux.cgroupsPath, and since the runtime made that cgroup for it in this very call (the path
// names the container), every kill counted there is the container's: the baseline is 0.
void ContainerMonitor::OpenOomCounter() {
  if (options_.run) {
    const absl::StatusOr<nlohmann::json> config = util::ReadJsonObjectFile(options_.bundle + "/config.json");
    const nlohmann::json::json_pointer cgroups_path("/linux/cgroupsPath");
    if (config.ok() && config->contains(cgroups_path) && config->at(cgroups_path).is_string()) {
      absl::StatusOr<OomCounter> counter = OomCounter::ForCgroupsPath(config->at(cgroups_path).get<std::string>());
      if (counter.ok()) {
        oom_before_ = 0;
        oom_ = std::move(*counter);
        return;
      }
    }
  }
  if (absl::StatusOr<OomCounter> counter = OomCounter::ForProcess(container_pid_); counter.ok()) {
    absl::StatusOr<uint64_t> before = counter->Read();
    oom_before_ = before.ok() ? *before : 0;
    oom_ = std::move(*counter);
  }
}

// The kernel raises the cgroup's oom_kill counter before it sends the victim its SIGKILL
// (mm/oom_kill.c, since Linux 4.13), so the counter already shows the kill when the exit is seen.
bool ContainerMonitor::OomKilled() const {
  if (!oom_) return false;
  absl::StatusOr<uint64_t> after = oom_->Read();
  return after.ok() && *after > oom_before_;
}

void ContainerMonitor::RemoveSockets() const {
  for (const std::string* path : {&ctl_path_, &attach_path_, &console_path_}) unlink(path->c_str());
}

int ContainerMonitor::Finish() {
  output_.FlushLog();
  ExitInfo info = *exit_;
  info.oom_killed = OomKilled();
  const absl::Status written = WriteExitFile(options_.exit_file, info);
  RemoveSockets();
  return written.ok() ? 0 : 1;
}

}  // namespace

int RunContainerMonitor(const MonitorOptions& options) {
  return RunDetached(options, [&options] { return ContainerMonitor(options).Run(); });
}

}  // namespace cloison::monitor
