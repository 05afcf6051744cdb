// An attach as a StreamTarget: a client of the container monitor's attach socket
// (SOCK_SEQPACKET; packets from the monitor are a stream id byte, 2 stdout or 3 stderr, and
// the data; packets to it are raw stdin; shutdown(SHUT_WR) is stdin's EOF) and of its ctl
// socket for resize. Output is read ahead of a slow client up to kMaxHeldOutput bytes not yet
// written to it; past that the socket is not read until the client catches up, and the
// monitor, whose sends then fail, drops this client (as it drops any that lags) rather than
// cloisond holding all the container writes meanwhile. The output ends when the container
// exits or the monitor dropped the client (it closes the socket); the result is then exit
// code 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "boost/asio/io_context.hpp"
#include "boost/asio/posix/stream_descriptor.hpp"
#include "stream_target.h"

namespace cloison::streaming {

class AttachTarget final : public StreamTarget, public std::enable_shared_from_this<AttachTarget> {
 public:
  // Output read from the monitor and not yet written to the client, at most (plus one packet).
  static constexpr int64_t kMaxHeldOutput = 4 << 20;

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
  bool reading_ = false;
  int64_t held_output_ = 0;  // handed to the session, not yet written to the client
  StdinQueue stdin_queue_;  // packets for the monitor; non-empty while writing_
  bool writing_ = false;
  bool close_stdin_ = false;
  bool cancelled_ = false;
  Output output_;
  Done on_done_;
};

}  // namespace cloison::streaming
