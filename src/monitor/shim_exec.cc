#include "cloison/monitor/shim_exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloison/monitor/poll_set.h"
#include "cloison/monitor/process.h"
#include "cloison/shim/task_client.h"
#include "cloison/shim/ttrpc_client.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_file.h"
#include "cloison/util/output_drain.h"
#include "cloison/util/unique_fd.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunk = 8192;
constexpr int kSetupFailed = 126;
constexpr int kKilled = 128 + SIGKILL;
constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kKilledExitWait = std::chrono::seconds(10);

// Restores the terminal settings of fd 0 when destroyed.
class RawTerminal {
 public:
  RawTerminal() {
    if (tcgetattr(0, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(0, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

class ShimExec {
 public:
  explicit ShimExec(const MonitorOptions& options) : options_(options) {}
  ~ShimExec();

  int Run();

 private:
  absl::Status Prepare();
  absl::Status ExecAndStart();
  void StartWaiter();
  void Serve();
  void Watch(PollSet& poll);
  bool Done() const;
  int PollTimeoutMs() const;

  void OnSignal();
  void OnInput(short revents);
  void OnStdinFifoWritable();
  void OnOutput(int stream);
  void OnWaiterDone();
  void FinishStdin();
  void ClientGone();
  void Resize() const;
  std::string Path(const char* name) const { return dir_ + "/" + name; }

  const MonitorOptions options_;
  bool terminal_ = false;
  std::string process_json_;
  std::string dir_;
  std::string exec_id_;
  std::unique_ptr<shim::TaskClient> task_;
  bool created_ = false;

  util::UniqueFd signal_fd_;
  util::UniqueFd stdin_fifo_;
  util::UniqueFd output_[2];  // stdout (the pty with a terminal), stderr
  bool input_open_ = true;    // fd 0 not at EOF yet
  std::string pending_input_;
  bool gone_ = false;  // the client went away: the process is being killed

  std::thread waiter_;
  Pipe wake_;
  std::mutex waited_mu_;
  std::optional<absl::StatusOr<shim::TaskExit>> waited_;
  std::optional<int> exit_code_;
  util::OutputDrain drain_;  // from the exit on, as in the container monitors
};

ShimExec::~ShimExec() {
  // A waiter still blocked in Wait (the shim did not answer after the kill) is left to the exit.
  if (waiter_.joinable()) wake_.read.valid() ? waiter_.detach() : waiter_.join();
  if (created_) (void)task_->Delete(options_.id, exec_id_);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

int ShimExec::Run() {
  absl::Status ready = Prepare();
  if (ready.ok()) ready = ExecAndStart();
  if (!ready.ok()) {
    std::fprintf(stderr, "cloison-monitor: %s\n", std::string(ready.message()).c_str());
    return kSetupFailed;
  }
  std::optional<RawTerminal> raw;
  if (terminal_) {
    raw.emplace();
    Resize();
  }
  Serve();
  return exit_code_.value_or(kKilled);
}

absl::Status ShimExec::Prepare() {
  absl::StatusOr<nlohmann::json> process = util::ReadJsonObjectFile(options_.process_spec);
  if (!process.ok()) return process.status();
  process_json_ = process->dump();
  terminal_ = process->value("terminal", false);

  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGTERM, SIGHUP, SIGINT, SIGWINCH}) sigaddset(&handled, signal);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  signal_fd_.reset(signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) return util::SystemCallError("signalfd");
  signal(SIGPIPE, SIG_IGN);  // a closed stdout shows as EPIPE
  absl::StatusOr<Pipe> wake = MakePipe();
  if (!wake.ok()) return wake.status();
  wake_ = std::move(*wake);

  dir_ = options_.state_dir + "/exec-XXXXXX";
  if (mkdtemp(dir_.data()) == nullptr) {
    const std::string failed = std::move(dir_);
    dir_.clear();
    return util::SystemCallError("mkdtemp ", failed);
  }
  for (int stream = 0; stream < (terminal_ ? 1 : 2); ++stream) {
    absl::StatusOr<util::UniqueFd> fifo = MakeFifo(Path(stream == 0 ? "stdout" : "stderr"), O_RDONLY);
    if (!fifo.ok()) return fifo.status();
    output_[stream] = std::move(*fifo);
  }
  // O_RDWR: opening the write end alone would block until the shim opens the read end.
  absl::StatusOr<util::UniqueFd> fifo = MakeFifo(Path("stdin"), O_RDWR);
  if (!fifo.ok()) return fifo.status();
  stdin_fifo_ = std::move(*fifo);
  return absl::OkStatus();
}

absl::Status ShimExec::ExecAndStart() {
  // The address the shim reported when it started: nothing listening there is a dead shim.
  absl::StatusOr<std::unique_ptr<shim::TtrpcClient>> connection =
      shim::TtrpcClient::Connect(options_.shim_address, kConnectTimeout, shim::Listener::kReported);
  if (!connection.ok()) return connection.status();
  task_ = std::make_unique<shim::TaskClient>(std::shared_ptr<shim::TtrpcClient>(std::move(*connection)),
                                             options_.shim_namespace);
  exec_id_ = absl::StrCat("exec-", getpid(), "-", Clock::now().time_since_epoch().count());
  shim::TaskStdio stdio;
  stdio.stdin_path = Path("stdin");
  stdio.stdout_path = Path("stdout");
  stdio.stderr_path = terminal_ ? "" : Path("stderr");
  stdio.terminal = terminal_;
  if (absl::Status s = task_->Exec(options_.id, exec_id_, process_json_, stdio); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("shim exec in ", options_.id, ": ", s.message()));
  }
  created_ = true;
  if (absl::StatusOr<uint32_t> started = task_->Start(options_.id, exec_id_); !started.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("shim exec in ", options_.id, ": ", started.status().message()));
  }
  StartWaiter();
  return absl::OkStatus();
}

void ShimExec::StartWaiter() {
  waiter_ = std::thread([this] {
    absl::StatusOr<shim::TaskExit> exited = task_->Wait(options_.id, exec_id_, std::chrono::milliseconds(0));
    {
      std::lock_guard<std::mutex> lock(waited_mu_);
      waited_ = std::move(exited);
    }
    WriteAll(wake_.write.get(), "x");
  });
}

void ShimExec::Serve() {
  while (!Done()) {
    PollSet poll;
    Watch(poll);
    poll.Run(PollTimeoutMs());
  }
}

void ShimExec::Watch(PollSet& poll) {
  poll.Add(signal_fd_.get(), POLLIN, [this](short) { OnSignal(); });
  if (wake_.read.valid()) poll.Add(wake_.read.get(), POLLIN, [this](short) { OnWaiterDone(); });
  if (gone_) return;  // only the exit is awaited now
  if (input_open_ && pending_input_.empty()) poll.Add(0, POLLIN, [this](short revents) { OnInput(revents); });
  if (stdin_fifo_.valid() && !pending_input_.empty()) {
    poll.Add(stdin_fifo_.get(), POLLOUT, [this](short) { OnStdinFifoWritable(); });
  }
  for (int stream = 0; stream < 2; ++stream) {
    if (output_[stream].valid()) poll.Add(output_[stream].get(), POLLIN, [this, stream](short) { OnOutput(stream); });
  }
  // No events asked: POLLERR or POLLHUP there mean the reader of the output went away.
  poll.Add(1, 0, [this](short) { ClientGone(); });
}

bool ShimExec::Done() const {
  if (!exit_code_) return false;
  if (gone_ || (!output_[0].valid() && !output_[1].valid())) return true;
  return drain_.Over();
}

int ShimExec::PollTimeoutMs() const {
  if (!exit_code_) return -1;
  return drain_.TimeoutMs();
}

void ShimExec::OnSignal() {
  signalfd_siginfo info;
  bool resize = false;
  bool gone = false;
  while (read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGWINCH) {
      resize = true;
    } else {
      gone = true;
    }
  }
  if (gone) return ClientGone();
  if (resize && terminal_) Resize();
}

void ShimExec::OnInput(short revents) {
  char buffer[kChunk];
  const ssize_t n = read(0, buffer, sizeof(buffer));
  if (n > 0) {
    pending_input_.assign(buffer, static_cast<size_t>(n));
    return OnStdinFifoWritable();
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (terminal_ || (n < 0 && (revents & POLLERR))) return ClientGone();  // the terminal hung up
  input_open_ = false;
  FinishStdin();
}

void ShimExec::OnStdinFifoWritable() {
  const ssize_t n = write(stdin_fifo_.get(), pending_input_.data(), pending_input_.size());
  if (n > 0) {
    pending_input_.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    pending_input_.clear();  // the process's stdin is gone; its input is dropped
    input_open_ = false;
    FinishStdin();
  }
}

void ShimExec::FinishStdin() {
  if (!stdin_fifo_.valid()) return;
  // Our end closes first, so the shim's copy reads what is still in the FIFO before the EOF.
  stdin_fifo_.reset();
  (void)task_->CloseStdin(options_.id, exec_id_);
}

void ShimExec::OnOutput(int stream) {
  char buffer[kChunk];
  const ssize_t n = read(output_[stream].get(), buffer, sizeof(buffer));
  if (n > 0) {
    drain_.Output();
    if (!WriteAll(stream == 0 ? 1 : 2, absl::string_view(buffer, static_cast<size_t>(n)))) ClientGone();
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  output_[stream].reset();  // EOF: the shim closed its end
}

void ShimExec::OnWaiterDone() {
  wake_.read.reset();
  std::optional<absl::StatusOr<shim::TaskExit>> waited;
  {
    std::lock_guard<std::mutex> lock(waited_mu_);
    waited = std::move(waited_);
  }
  if (waited && waited->ok()) {
    exit_code_ = static_cast<int>((*waited)->exit_status & 0xff);
  } else {
    std::fprintf(stderr, "cloison-monitor: lost the shim while waiting for the exec: %s\n",
                 waited ? std::string(waited->status().message()).c_str() : "no answer");
    exit_code_ = 255;
  }
  drain_.Start();
}

void ShimExec::ClientGone() {
  if (gone_) return;
  gone_ = true;
  if (exit_code_) return;
  (void)task_->Kill(options_.id, exec_id_, SIGKILL, false);
  // The waiter reports the exit; should the shim not answer, the exec is Deleted regardless.
  PollSet poll;
  poll.Add(wake_.read.get(), POLLIN, [this](short) { OnWaiterDone(); });
  poll.Run(static_cast<int>(std::chrono::milliseconds(kKilledExitWait).count()));
  if (!exit_code_) exit_code_ = kKilled;
}

void ShimExec::Resize() const {
  winsize size{};
  if (ioctl(0, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 || size.ws_row == 0) return;
  (void)task_->ResizePty(options_.id, exec_id_, size.ws_col, size.ws_row);
}

}  // namespace

int RunShimExec(const MonitorOptions& options) { return ShimExec(options).Run(); }

}  // namespace cloison::monitor
