#include "attach_target.h"

#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "boost/asio/write.hpp"
#include "cloison/runtime/monitor_client.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/logging.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"
#include "close_quietly.h"

namespace cloison::streaming {
namespace {

namespace asio = boost::asio;

constexpr size_t kMaxPacket = 64 * 1024 + 1;  // the monitor's largest read, plus the stream byte
constexpr size_t kStdinChunk = 16 * 1024;     // under a unix socket's send buffer

}  // namespace

absl::StatusOr<std::shared_ptr<AttachTarget>> AttachTarget::Connect(asio::io_context& io,
                                                                     const std::string& socket_dir, bool stdout,
                                                                     bool stderr) {
  const std::string path = socket_dir + "/attach";
  // The path is cloison's own (its monitor's socket directory), not the request's: INTERNAL.
  const absl::StatusOr<util::UnixAddress> address = util::UnixSocketFileAddress(path, "attach socket path");
  if (!address.ok()) return absl::InternalError(address.status().message());
  util::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid() || connect(fd.get(), address->get(), address->length) != 0) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error,
                                   absl::StrCat("cannot attach to the container (", path, ")"));
  }
  std::shared_ptr<AttachTarget> target(new AttachTarget(io));
  target->socket_.assign(fd.release());
  target->socket_dir_ = socket_dir;
  target->stdout_ = stdout;
  target->stderr_ = stderr;
  return target;
}

void AttachTarget::Start(Output output, Done done) {
  output_ = std::move(output);
  on_done_ = std::move(done);
  Read();
}

void AttachTarget::Read() {
  if (reading_ || cancelled_ || !socket_.is_open() || held_output_ > kMaxHeldOutput) return;
  reading_ = true;
  auto buffer = std::make_shared<std::string>(kMaxPacket, '\0');
  socket_.async_read_some(asio::buffer(*buffer), [self = shared_from_this(), buffer](const boost::system::error_code& ec,
                                                                                     size_t n) {
    self->reading_ = false;
    if (self->cancelled_) return;
    if (ec || n == 0) {
      CloseQuietly(self->socket_);
      Done done = std::move(self->on_done_);  // breaks the cycle with the owning session
      self->output_ = nullptr;
      done(0);
      return;
    }
    const int stream = (*buffer)[0] == 3 ? 2 : 1;
    if ((stream == 1 && self->stdout_) || (stream == 2 && self->stderr_)) {
      const auto size = static_cast<int64_t>(n - 1);
      self->held_output_ += size;
      self->output_(stream, buffer->substr(1, n - 1), [self, size] {
        self->held_output_ -= size;
        self->Read();
      });
    }
    self->Read();
  });
}

void AttachTarget::WriteStdin(std::string data, std::function<void()> written) {
  if (cancelled_) return;
  if (close_stdin_ || data.empty() || !socket_.is_open()) return written();
  for (size_t offset = 0; offset < data.size(); offset += kStdinChunk) {
    const bool last = offset + kStdinChunk >= data.size();
    stdin_queue_.emplace_back(data.substr(offset, kStdinChunk), last ? std::move(written) : nullptr);
  }
  if (!writing_) WriteNext();
}

void AttachTarget::WriteNext() {
  if (stdin_queue_.empty()) {
    writing_ = false;
    if (close_stdin_ && socket_.is_open()) shutdown(socket_.native_handle(), SHUT_WR);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(stdin_queue_.front().first),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      if (self->cancelled_) {  // Cancel closed the socket: no callback runs any more
                        self->stdin_queue_.clear();
                        self->writing_ = false;
                        return;
                      }
                      std::function<void()> written = std::move(self->stdin_queue_.front().second);
                      self->stdin_queue_.pop_front();
                      if (written) written();
                      if (ec) {
                        self->writing_ = false;
                        DropStdin(self->stdin_queue_);
                        return;
                      }
                      self->WriteNext();
                    });
}

void AttachTarget::CloseStdin() {
  if (close_stdin_) return;
  close_stdin_ = true;
  if (!writing_) WriteNext();
}

void AttachTarget::Resize(uint16_t width, uint16_t height) {
  absl::StatusOr<nlohmann::json> reply = runtime::CallMonitor(
      socket_dir_ + "/ctl", {{"op", "resize"}, {"width", width}, {"height", height}}, std::chrono::seconds(2));
  if (!reply.ok()) spdlog::debug("attach: resize through {}/ctl: {}", socket_dir_, reply.status());
}

void AttachTarget::Cancel() {
  cancelled_ = true;
  // The packet being written stays until its handler, which the close below aborts, runs.
  CloseQuietly(socket_);
  output_ = nullptr;
  on_done_ = nullptr;
}

}  // namespace cloison::streaming
