#include "cloison/monitor/shim_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

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
#include "cloison/shim/shim_launcher.h"
#include "cloison/shim/task_client.h"
#include "cloison/shim/ttrpc_client.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/ids.h"
#include "cloison/util/unix_socket.h"

namespace cloison::monitor {
namespace {

constexpr size_t kChunk = 8192;  // shim log bytes per read
constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kCallTimeout = std::chrono::seconds(60);

// In a child forked from the (multi-threaded) monitor, so async-signal-safe calls only: copies
// the shim's log FIFO `fifo` to `file` until every writer closed it (the shim exited).
[[noreturn]] void DrainShimLogUntilEof(int fifo, int file) {
  prctl(PR_SET_NAME, "cloison-shimlog");
  if (dup2(fifo, STDIN_FILENO) < 0) _exit(1);
  if (file >= 0) dup2(file, STDOUT_FILENO);
  close_range(3, ~0U, 0);
  char buffer[kChunk];
  for (;;) {
    pollfd readable{STDIN_FILENO, POLLIN, 0};
    if (poll(&readable, 1, -1) < 0 && errno != EINTR) _exit(1);
    const ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
    if (n == 0) _exit(0);
    if (n < 0 && errno != EAGAIN && errno != EINTR) _exit(1);
    if (n > 0) WriteAll(STDOUT_FILENO, absl::string_view(buffer, static_cast<size_t>(n)));
  }
}

class ShimMonitor {
 public:
  explicit ShimMonitor(const MonitorOptions& options)
      : options_(options),
        ctl_path_(options.socket_dir + "/ctl"),
        attach_path_(options.socket_dir + "/attach"),
        attach_(options.stdin_once, options.tty),
        output_(attach_),
        ctl_([this](uint64_t client_id, absl::string_view packet) { HandleCtl(client_id, packet); }) {}
  ~ShimMonitor() {
    if (waiter_.joinable()) waiter_.join();
  }

  int Run();

 private:
  absl::Status Prepare();
  absl::Status StartShim();
  absl::StatusOr<uint32_t> CreateTask();
  void StartWaiter();
  void Serve();
  void Watch(PollSet& poll);
  bool Done() const;
  int PollTimeoutMs() const;
  int Finish();
  bool OomKilled(const ExitInfo& info) const;
  void WritePidFile() const;
  void RemoveSocketsAndFifos() const;
  void KeepShimLogDrained();

  void OnSignal();
  void OnWaiterDone();
  void OnShimLog();
  void HandleCtl(uint64_t client_id, absl::string_view packet);
  void Reply(uint64_t client_id, const std::string& reply) { ctl_.Reply(client_id, reply); }
  absl::Status StartTask();
  absl::Status Resize(unsigned short width, unsigned short height);
  std::string FifoPath(const char* name) const { return options_.state_dir + "/" + name; }

  const MonitorOptions options_;
  const std::string ctl_path_;
  const std::string attach_path_;

  util::UniqueFd sync_fd_;
  util::UniqueFd signal_fd_;
  AttachHub attach_;
  // The monitor's read ends of the stdout and stderr FIFOs (stdout carries the pty with tty).
  OutputRelay output_;
  CtlServer ctl_;

  util::UniqueFd shim_log_fifo_;
  // A write end of the log FIFO held by the monitor itself: the reader then never sees EOF
  // between the shim's writers, and poll does not spin on POLLHUP.
  util::UniqueFd shim_log_hold_;
  util::UniqueFd shim_log_file_;
  std::unique_ptr<shim::TaskClient> task_;

  uint32_t task_pid_ = 0;
  bool started_ = false;
  std::optional<OomCounter> oom_;
  uint64_t oom_before_ = 0;

  // The waiter thread blocks in Wait and reports through wake_ (a pipe the loop polls).
  std::thread waiter_;
  Pipe wake_;
  std::mutex waited_mu_;
  std::optional<absl::StatusOr<shim::TaskExit>> waited_;

  std::optional<ExitInfo> exit_;
};

int ShimMonitor::Run() {
  sync_fd_.reset(options_.sync_fd);
  absl::Status ready = Prepare();
  if (ready.ok()) ready = StartShim();
  absl::StatusOr<uint32_t> pid = ready.ok() ? CreateTask() : absl::StatusOr<uint32_t>(ready);
  if (!pid.ok()) {
    RemoveSocketsAndFifos();
    KeepShimLogDrained();
    WriteAll(sync_fd_.get(), SyncFailureReport(pid.status()));
    return 1;
  }
  task_pid_ = *pid;
  WritePidFile();
  if (absl::StatusOr<OomCounter> counter = OomCounter::ForProcess(static_cast<pid_t>(task_pid_)); counter.ok()) {
    absl::StatusOr<uint64_t> before = counter->Read();
    oom_before_ = before.ok() ? *before : 0;
    oom_ = std::move(*counter);
  }
  StartWaiter();
  WriteAll(sync_fd_.get(), SyncPidReport(task_pid_));
  sync_fd_.reset();
  Serve();
  KeepShimLogDrained();
  return Finish();
}

absl::Status ShimMonitor::Prepare() {
  // The shim's server is reparented to this monitor (a subreaper) when `start` exits: reap it.
  absl::StatusOr<util::UniqueFd> signal_fd = OpenChildSignalFd();
  if (!signal_fd.ok()) return signal_fd.status();
  signal_fd_ = std::move(*signal_fd);
  absl::StatusOr<Pipe> wake = MakePipe();
  if (!wake.ok()) return wake.status();
  wake_ = std::move(*wake);

  if (absl::Status opened = output_.OpenLog(options_.log_path); !opened.ok()) return opened;

  for (const std::string* dir : {&options_.socket_dir, &options_.state_dir}) {
    if (absl::Status made = util::MakeDirs(*dir, 0700); !made.ok()) return made;
  }
  if (absl::Status s = ListenCtlAndAttach(ctl_path_, attach_path_, ctl_, attach_); !s.ok()) return s;

  for (int stream = 0; stream < (options_.tty ? 1 : 2); ++stream) {
    absl::StatusOr<util::UniqueFd> fifo = MakeFifo(FifoPath(stream == 0 ? "stdout" : "stderr"), O_RDONLY);
    if (!fifo.ok()) return fifo.status();
    output_.SetOutput(stream, std::move(*fifo));
  }
  if (options_.stdin_open) {
    // O_RDWR: opening the write end alone would block until the shim opens the read end.
    absl::StatusOr<util::UniqueFd> fifo = MakeFifo(FifoPath("stdin"), O_RDWR);
    if (!fifo.ok()) return fifo.status();
    attach_.SetStdin(std::move(*fifo));
  }
  return absl::OkStatus();
}

absl::Status ShimMonitor::StartShim() {
  absl::StatusOr<util::UniqueFd> log_fifo = shim::OpenShimLogFifo(options_.bundle);
  if (!log_fifo.ok()) return log_fifo.status();
  shim_log_fifo_ = std::move(*log_fifo);
  shim_log_hold_.reset(open((options_.bundle + "/log").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  shim_log_file_.reset(open(options_.shim_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!shim_log_file_.valid()) {
    return util::SystemCallError("open ", options_.shim_log);
  }

  // Kata reads its configuration path from KATA_CONF_FILE when the task options carry none.
  if (!options_.shim_config_path.empty()) setenv("KATA_CONF_FILE", options_.shim_config_path.c_str(), 1);
  shim::ShimStartOptions start;
  start.shim_path = options_.shim;
  start.id = options_.id;
  start.bundle = options_.bundle;
  start.ns = options_.shim_namespace;
  start.address = options_.shim_address;
  start.ttrpc_address = options_.shim_ttrpc_address;
  start.publish_binary = options_.shim;
  absl::StatusOr<std::string> address = shim::StartShim(start);
  if (!address.ok()) return address.status();
  if (absl::Status s = util::ReplaceFile(options_.state_dir + "/shim-address", *address, 0600); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<shim::TtrpcClient>> connection = shim::TtrpcClient::Connect(*address, kConnectTimeout);
  if (!connection.ok()) return connection.status();
  task_ = std::make_unique<shim::TaskClient>(std::shared_ptr<shim::TtrpcClient>(std::move(*connection)),
                                             options_.shim_namespace);
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ShimMonitor::CreateTask() {
  shim::TaskStdio stdio;
  stdio.stdin_path = options_.stdin_open ? FifoPath("stdin") : "";
  stdio.stdout_path = FifoPath("stdout");
  stdio.stderr_path = options_.tty ? "" : FifoPath("stderr");
  stdio.terminal = options_.tty;
  absl::StatusOr<uint32_t> pid = task_->Create(options_.id, options_.bundle, stdio);
  if (!pid.ok()) return absl::FailedPreconditionError(absl::StrCat("shim create: ", pid.status().message()));
  return pid;
}

// <state_dir>/pidfile, where an OCI runtime's create leaves the container's pid: it tells
// cloisond's recovery that the container was made (runtime/monitor_settling.h), which it would
// otherwise learn only from this monitor's end. Without it recovery just waits longer.
void ShimMonitor::WritePidFile() const {
  const std::string path = options_.state_dir + "/pidfile";
  if (absl::Status s = util::ReplaceFile(path, absl::StrCat(task_pid_, "\n"), 0644); !s.ok()) {
    std::fprintf(stderr, "cloison-monitor: %s\n", std::string(s.message()).c_str());
  }
}

void ShimMonitor::StartWaiter() {
  waiter_ = std::thread([this] {
    absl::StatusOr<shim::TaskExit> exited = task_->Wait(options_.id, "", std::chrono::milliseconds(0));
    {
      std::lock_guard<std::mutex> lock(waited_mu_);
      waited_ = std::move(exited);
    }
    WriteAll(wake_.write.get(), "x");
  });
}

void ShimMonitor::Serve() {
  while (!Done()) {
    PollSet poll;
    Watch(poll);
    poll.Run(PollTimeoutMs());
    ctl_.RemoveClosed();
    attach_.RemoveClosed();
  }
}

void ShimMonitor::Watch(PollSet& poll) {
  poll.Add(signal_fd_.get(), POLLIN, [this](short) { OnSignal(); });
  if (wake_.read.valid()) poll.Add(wake_.read.get(), POLLIN, [this](short) { OnWaiterDone(); });
  ctl_.Watch(poll);
  attach_.Watch(poll);
  if (shim_log_fifo_.valid()) poll.Add(shim_log_fifo_.get(), POLLIN, [this](short) { OnShimLog(); });
  output_.Watch(poll);
}

bool ShimMonitor::Done() const { return exit_ && output_.Drained(); }

int ShimMonitor::PollTimeoutMs() const { return exit_ ? output_.DrainTimeoutMs() : -1; }

void ShimMonitor::OnSignal() {
  DrainSignalFd(signal_fd_.get());
  int status = 0;
  while (waitpid(-1, &status, WNOHANG) > 0) {
  }
}

void ShimMonitor::OnWaiterDone() {
  wake_.read.reset();
  std::optional<absl::StatusOr<shim::TaskExit>> waited;
  {
    std::lock_guard<std::mutex> lock(waited_mu_);
    waited = std::move(waited_);
  }
  ExitInfo info;
  if (waited && waited->ok()) {
    info = ExitInfoFromExitStatus(static_cast<int>((*waited)->exit_status));
    info.exited_at_ns = (*waited)->exited_at_ns > 0 ? (*waited)->exited_at_ns : util::NowNanos();
  } else {
    info.exit_code = 255;
    info.exited_at_ns = util::NowNanos();
    info.message = absl::StrCat("lost the shim while waiting for the container: ",
                                waited ? waited->status().message() : "no answer");
  }
  exit_ = info;
  output_.StartDrain();
}

void ShimMonitor::OnShimLog() {
  char buffer[kChunk];
  const ssize_t n = read(shim_log_fifo_.get(), buffer, sizeof(buffer));
  if (n > 0) {
    WriteAll(shim_log_file_.get(), absl::string_view(buffer, static_cast<size_t>(n)));
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  shim_log_fifo_.reset();
}

void ShimMonitor::HandleCtl(uint64_t client_id, absl::string_view packet) {
  absl::StatusOr<CtlRequest> request = ParseCtlRequest(packet);
  if (!request.ok()) return Reply(client_id, CtlReply(request.status()));
  switch (request->op) {
    case CtlRequest::Op::kStart:
      return Reply(client_id, CtlReply(StartTask()));
    case CtlRequest::Op::kReopen:
      return Reply(client_id, CtlReply(output_.ReopenLog()));
    case CtlRequest::Op::kResize:
      return Reply(client_id, CtlReply(Resize(request->width, request->height)));
    case CtlRequest::Op::kState:
      return Reply(client_id, CtlStateReply(static_cast<pid_t>(task_pid_), !exit_.has_value(), started_));
  }
}

absl::Status ShimMonitor::StartTask() {
  if (exit_) return absl::FailedPreconditionError("the container has already exited");
  if (started_) return absl::OkStatus();
  absl::StatusOr<uint32_t> pid = task_->Start(options_.id, "");
  if (!pid.ok()) return absl::FailedPreconditionError(absl::StrCat("shim start: ", pid.status().message()));
  started_ = true;
  return absl::OkStatus();
}

absl::Status ShimMonitor::Resize(unsigned short width, unsigned short height) {
  if (!options_.tty) return absl::FailedPreconditionError("the container has no terminal");
  return task_->ResizePty(options_.id, "", width, height);
}

bool ShimMonitor::OomKilled(const ExitInfo& info) const {
  if (!oom_) return false;
  absl::StatusOr<uint64_t> after = oom_->Read();
  if (after.ok() && *after > oom_before_) return true;
  if (info.signal != SIGKILL) return false;
  usleep(50 * 1000);  // the kernel counts the OOM kill right after delivering the SIGKILL
  after = oom_->Read();
  return after.ok() && *after > oom_before_;
}

void ShimMonitor::RemoveSocketsAndFifos() const {
  for (const std::string& path : {ctl_path_, attach_path_, FifoPath("stdin"), FifoPath("stdout"), FifoPath("stderr")}) {
    unlink(path.c_str());
  }
}

// The pod's shim serves its other containers after this one: if this monitor's `start` made it,
// the shim still holds this log FIFO once the monitor lets go of its own write end, and a child
// of the monitor goes on draining it into the pod's shim.log until the shim exits (without a
// reader the shim's log writes fail and its lines are lost). Done before the end is reported
// (the exit file, the sync report): cloisond removes a container it learnt ended and then kills
// its monitor should it still live (runtime::KillMonitor), which must not come before the fork.
void ShimMonitor::KeepShimLogDrained() {
  if (!shim_log_fifo_.valid()) return;
  shim_log_hold_.reset();
  char buffer[kChunk];
  for (;;) {
    const ssize_t n = read(shim_log_fifo_.get(), buffer, sizeof(buffer));
    if (n > 0) {
      WriteAll(shim_log_file_.get(), absl::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;  // the shim still holds the FIFO
    return;  // no writer: the shim is gone, or the pod's shim was started by another container
  }
  if (fork() == 0) DrainShimLogUntilEof(shim_log_fifo_.get(), shim_log_file_.get());
}

int ShimMonitor::Finish() {
  output_.FlushLog();
  ExitInfo info = *exit_;
  info.oom_killed = info.message.empty() && OomKilled(info);
  const absl::Status written = WriteExitFile(options_.exit_file, info);
  RemoveSocketsAndFifos();
  return written.ok() ? 0 : 1;
}

}  // namespace

int RunShimMonitor(const MonitorOptions& options) {
  return RunDetached(options, [&options] { return ShimMonitor(options).Run(); });
}

}  // namespace cloison::monitor
