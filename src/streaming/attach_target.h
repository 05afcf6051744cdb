// An attach as a StreamTarget: a client of the container monitor's attach socket
// (SOCK_SEQPACKET; packets from the monitor are a stream id byte, 2 stdout or 3 stderr, and
// the data; packets to it are raw stdin; shutdown(SHUT_WR) is stdin's EOF) and of its ctl
// socket for resize. Output is read as fast as the monitor sends it (the monitor drops a
// client that lags), so a slow client queues in the session. The output ends when the
// container exits (the monitor closes the socket); the result is then exit code 0.
#pragma once

#include <memory>
#include <string>

#include "boost/asio/io_context.hpp"
#include "boost/asio/posix/stream_descriptor.hpp"
#include "stream_target.h"

namespace cloison::streaming {

class AttachTarget final : public StreamTarget, public std::enable_shared_from_this<AttachTarget> {
 public:
  static absl::StatusOr<std::shared_ptr<AttachTarget>> Connect(boost::asio::io_context& io,
                                                               const std::string& socket_dir, bool stdout,
                                                               bool stderr);

  void Start(Output output, Done done) override;
  void WriteStdin(std::string data, std::function<void()> written) override;
  void CloseStdin() override;
  void Resize(uint16_t width, uint16_t height) override;
  void Cancel() override;

 private:
  explicit AttachTarget(boost::asio::io_context& io) : socket_(io) {}
  void Read();
  void WriteNext();

  boost::asio::posix::stream_descriptor socket_;
  std::string socket_dir_;
  bool stdout_ = false;
  bool stderr_ = false;
  StdinQueue stdin_queue_;  // packets for the monitor; non-empty while writing_
  bool writing_ = false;
  bool close_stdin_ = false;
  bool cancelled_ = false;
  Output output_;
  Done on_done_;
};

}  // namespace cloison::streaming
