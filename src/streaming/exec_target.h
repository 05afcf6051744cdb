// An exec as a StreamTarget: spawns the backend's ExecPlan with pipes for stdin, stdout and
// stderr, or with a new pseudo-terminal (as its controlling terminal) for tty; resize sets the
// terminal size, which the runtime copies into the container's terminal on SIGWINCH. The exit
// is watched through a pidfd. Cancel kills the command (its host pid from the plan's pid file)
// and the runtime; the runtime is always reaped (also when Cancel comes before Start) and the
// plan's work_dir removed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>

#include "boost/asio/io_context.hpp"
#include "boost/asio/posix/stream_descriptor.hpp"
#include "boost/asio/steady_timer.hpp"
#include "cloison/streaming/backend.h"
#include "stream_target.h"

namespace cloison::streaming {

struct ExecStdio {
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

class ExecTarget final : public StreamTarget, public std::enable_shared_from_this<ExecTarget> {
 public:
  static absl::StatusOr<std::shared_ptr<ExecTarget>> Spawn(boost::asio::io_context& io, ExecPlan plan, ExecStdio stdio);
  ~ExecTarget() override;

  void Start(Output output, Done done) override;
  void WriteStdin(std::string data, std::function<void()> written) override;
  void CloseStdin() override;
  void Resize(uint16_t width, uint16_t height) override;
  void Cancel() override;

 private:
  explicit ExecTarget(boost::asio::io_context& io);
  void Read(boost::asio::posix::stream_descriptor& from, int stream);
  void WriteNext();
  void WaitExit();
  void OnExit();
  void MaybeDone();

  boost::asio::posix::stream_descriptor stdin_;
  boost::asio::posix::stream_descriptor stdout_;
  boost::asio::posix::stream_descriptor stderr_;
  boost::asio::posix::stream_descriptor pidfd_;
  boost::asio::steady_timer drain_timer_;
  ExecPlan plan_;
  bool tty_ = false;
  pid_t pid_ = -1;
  int open_outputs_ = 0;
  std::optional<int> exit_code_;
  StdinQueue stdin_queue_;  // non-empty while writing_
  bool writing_ = false;
  bool close_stdin_ = false;
  bool cancelled_ = false;
  bool watching_exit_ = false;  // the pidfd is watched (from Start, or Cancel before it)
  bool done_ = false;
  Output output_;
  Done on_done_;
};

}  // namespace cloison::streaming
