#include "exec_target.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"
#include "close_quietly.h"

extern char** environ;

namespace cloison::streaming {
namespace {

namespace asio = boost::asio;

// Output still arriving after the command exited (from its background children) is read for
// this long at most.
constexpr auto kDrainAfterExit = std::chrono::seconds(1);

struct Pipe {
  util::UniqueFd read, write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return util::SystemCallError("pipe");
  return Pipe{util::UniqueFd(fds[0]), util::UniqueFd(fds[1])};
}

struct Pty {
  util::UniqueFd master, slave;
};

absl::StatusOr<Pty> MakePty() {
  util::UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.valid()) return util::SystemCallError("posix_openpt");
  if (grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) return util::SystemCallError("unlockpt");
  char name[128];
  if (ptsname_r(master.get(), name, sizeof(name)) != 0) return util::SystemCallError("ptsname");
  util::UniqueFd slave(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave.valid()) return util::SystemCallError("open ", name);
  // Raw from the start, as the runtime sets it once it runs: the container's own terminal
  // does the line editing, echo and ^D. Input that came before the runtime set it would be
  // edited and echoed here too, and a ^D would end the runtime's input instead of reaching the
  // command.
  termios mode{};
  if (tcgetattr(slave.get(), &mode) != 0) return util::SystemCallError("tcgetattr ", name);
  cfmakeraw(&mode);
  if (tcsetattr(slave.get(), TCSANOW, &mode) != 0) return util::SystemCallError("tcsetattr ", name);
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 80;
  ioctl(master.get(), TIOCSWINSZ, &size);
  return Pty{std::move(master), std::move(slave)};
}

// Forks and execs `argv` with `in`, `out`, `err` as its stdio; with `terminal`, in a new session
// whose controlling terminal is `in`. The runtime gets SIGTERM, which it forwards to the command,
// if cloisond dies: no session can reach the command any more (the forking thread, the
// streaming server's, lasts as long as cloisond). Only async-signal-safe calls between fork and
// exec.
absl::StatusOr<pid_t> ForkExec(const std::vector<std::string>& argv, int in, int out, int err, bool terminal) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return util::SystemCallError("fork");
  if (pid == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (terminal && (setsid() < 0 || ioctl(in, TIOCSCTTY, 0) < 0)) _exit(126);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    close_range(3, ~0u, 0);
    execve(args[0], args.data(), environ);
    _exit(127);
  }
  return pid;
}

}  // namespace

ExecTarget::ExecTarget(asio::io_context& io)
    : stdin_(io), stdout_(io), stderr_(io), pidfd_(io), drain_timer_(io) {}

ExecTarget::~ExecTarget() {
  std::error_code ec;
  if (!plan_.work_dir.empty()) std::filesystem::remove_all(plan_.work_dir, ec);
}

absl::StatusOr<std::shared_ptr<ExecTarget>> ExecTarget::Spawn(asio::io_context& io, ExecPlan plan, ExecStdio stdio) {
  std::shared_ptr<ExecTarget> target(new ExecTarget(io));
  target->plan_ = std::move(plan);
  target->tty_ = stdio.tty;
  util::UniqueFd null_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd.valid()) return util::SystemCallError("open /dev/null");
  absl::StatusOr<pid_t> pid;
  if (stdio.tty) {
    absl::StatusOr<Pty> pty = MakePty();
    if (!pty.ok()) return pty.status();
    pid = ForkExec(target->plan_.argv, pty->slave.get(), pty->slave.get(), pty->slave.get(), true);
    if (!pid.ok()) return pid.status();
    if (stdio.stdin) target->stdin_.assign(fcntl(pty->master.get(), F_DUPFD_CLOEXEC, 3));
    target->stdout_.assign(pty->master.release());
    target->open_outputs_ = 1;
  } else {
    std::optional<Pipe> in, out, err;
    for (auto [wanted, pipe] : {std::pair{stdio.stdin, &in}, {stdio.stdout, &out}, {stdio.stderr, &err}}) {
      if (!wanted) continue;
      absl::StatusOr<Pipe> made = MakePipe();
      if (!made.ok()) return made.status();
      pipe->emplace(std::move(*made));
    }
    pid = ForkExec(target->plan_.argv, in ? in->read.get() : null_fd.get(), out ? out->write.get() : null_fd.get(),
                   err ? err->write.get() : null_fd.get(), false);
    if (!pid.ok()) return pid.status();
    if (in) target->stdin_.assign(in->write.release());
    if (out) target->stdout_.assign(out->read.release());
    if (err) target->stderr_.assign(err->read.release());
    target->open_outputs_ = (out ? 1 : 0) + (err ? 1 : 0);
  }
  target->pid_ = *pid;
  // Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link it.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, *pid, 0));
  if (pidfd < 0) {
    kill(*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return util::SystemCallError("pidfd_open");
  }
  target->pidfd_.assign(pidfd);
  return target;
}

void ExecTarget::Start(Output output, Done done) {
  output_ = std::move(output);
  on_done_ = std::move(done);
  if (stdout_.is_open()) Read(stdout_, 1);
  if (stderr_.is_open()) Read(stderr_, 2);
  WaitExit();
}

void ExecTarget::Read(asio::posix::stream_descriptor& from, int stream) {
  auto buffer = std::make_shared<std::string>(32 * 1024, '\0');
  from.async_read_some(asio::buffer(*buffer), [self = shared_from_this(), &from, stream, buffer](
                                                   const boost::system::error_code& ec, size_t n) {
    if (ec || n == 0) {  // EOF, or EIO from a terminal whose other side closed
      CloseQuietly(from);
      --self->open_outputs_;
      self->MaybeDone();
      return;
    }
    if (self->cancelled_) return;
    buffer->resize(n);
    self->output_(stream, std::move(*buffer), [self, &from, stream] {
      if (!self->cancelled_ && from.is_open()) self->Read(from, stream);
    });
  });
}

void ExecTarget::WriteStdin(std::string data, std::function<void()> written) {
  if (cancelled_) return;
  if (!stdin_.is_open() || close_stdin_ || data.empty()) return written();
  stdin_queue_.emplace_back(std::move(data), std::move(written));
  if (!writing_) WriteNext();
}

void ExecTarget::WriteNext() {
  if (stdin_queue_.empty()) {
    writing_ = false;
    if (close_stdin_ && stdin_.is_open()) {
      if (tty_) {
        const char eof = 4;  // ^D: the terminal's end of input, the pty stays open for output
        boost::system::error_code ec;
        asio::write(stdin_, asio::buffer(&eof, 1), ec);
      }
      CloseQuietly(stdin_);
    }
    return;
  }
  writing_ = true;
  asio::async_write(stdin_, asio::buffer(stdin_queue_.front().first),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      if (self->cancelled_) {  // Cancel closed stdin: no callback runs any more
                        self->stdin_queue_.clear();
                        self->writing_ = false;
                        return;
                      }
                      std::function<void()> written = std::move(self->stdin_queue_.front().second);
                      self->stdin_queue_.pop_front();
                      written();
                      if (ec) {
                        CloseQuietly(self->stdin_);
                        self->writing_ = false;
                        DropStdin(self->stdin_queue_);
                        return;
                      }
                      self->WriteNext();
                    });
}

void ExecTarget::CloseStdin() {
  if (close_stdin_) return;
  close_stdin_ = true;
  if (!writing_) WriteNext();
}

void ExecTarget::Resize(uint16_t width, uint16_t height) {
  if (!tty_ || !stdout_.is_open() || width == 0 || height == 0) return;
  winsize size{};
  size.ws_col = width;
  size.ws_row = height;
  ioctl(stdout_.native_handle(), TIOCSWINSZ, &size);
}

void ExecTarget::WaitExit() {
  watching_exit_ = true;
  pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [self = shared_from_this()](const boost::system::error_code&) { self->OnExit(); });
}

void ExecTarget::OnExit() {
  int status = 0;
  const pid_t reaped = waitpid(pid_, &status, WNOHANG);
  if (reaped == 0) return WaitExit();
  CloseQuietly(pidfd_);
  exit_code_ = reaped < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (open_outputs_ > 0 && !cancelled_) {
    drain_timer_.expires_after(kDrainAfterExit);
    drain_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      CloseQuietly(self->stdout_);
      CloseQuietly(self->stderr_);
      self->open_outputs_ = 0;
      self->MaybeDone();
    });
  }
  MaybeDone();
}

void ExecTarget::MaybeDone() {
  if (done_ || cancelled_ || !exit_code_ || open_outputs_ > 0) return;
  done_ = true;
  drain_timer_.cancel();
  CloseQuietly(stdin_);
  // Dropping the callbacks breaks the reference cycle with the session that owns this target.
  Done done = std::move(on_done_);
  output_ = nullptr;
  done(*exit_code_);
}

void ExecTarget::Cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  if (!exit_code_) {
    absl::StatusOr<std::string> text = util::ReadFile(plan_.pid_file);
    int pid = 0;
    if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) && pid > 0) kill(pid, SIGKILL);
    kill(pid_, SIGTERM);  // the runtime forwards it to the command if the pid file was not there yet
  }
  // A session cancelled before it started the target (its client left during the handshake or
  // before opening its streams) has not watched the exit yet: the runtime is reaped all the same.
  if (!exit_code_ && !watching_exit_) WaitExit();
  // The chunk being written stays until its handler, which the close below aborts, runs.
  CloseQuietly(stdin_);
  CloseQuietly(stdout_);
  CloseQuietly(stderr_);
  drain_timer_.cancel();
  output_ = nullptr;
  on_done_ = nullptr;
}

}  // namespace cloison::streaming
