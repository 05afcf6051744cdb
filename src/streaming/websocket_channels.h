// The transport of Kubernetes' WebSocket channel protocols, on the streaming server's
// io_context thread: the handshake (answering with the negotiated subprotocol), a read loop
// that hands each message to the session by channel, sends queued one at a time (each with an
// optional callback once written, so that a slow client slows its producer), and the close
// once everything queued is written. Binary or base64 framing: see ws_channel_frame.h.
// Sessions derive from it and own their own state; the base owns the connection.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/websocket/stream.hpp"
#include "cloison/streaming/idle_deadline.h"

namespace cloison::streaming {

class WebSocketChannels : public std::enable_shared_from_this<WebSocketChannels> {
 public:
  WebSocketChannels(boost::beast::tcp_stream stream, bool base64);
  virtual ~WebSocketChannels() = default;

  // Completes the WebSocket handshake answering with `protocol` ("" for none), then calls
  // OnOpen and reads. A session with no message read or written for `idle_timeout` (zero: no
  // limit) ends as if the client left.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request, std::string protocol,
           std::chrono::seconds idle_timeout);

 protected:
  virtual void OnOpen() = 0;
  virtual void OnMessage(uint8_t channel, std::string data) = 0;
  // The handshake failed, the client went away or a write failed. Called once; nothing is sent
  // afterwards.
  virtual void OnGone() = 0;

  void Send(uint8_t channel, std::string data, std::function<void()> written = nullptr);
  // Closes the WebSocket once what is queued is written.
  void Close();
  // Stops (true) or resumes (false) reading from the client (see input_budget.h).
  void HoldReading(bool hold);
  boost::asio::io_context& io();

 private:
  void Read();
  void WriteNext();
  void Gone();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  IdleDeadline idle_;
  boost::beast::flat_buffer buffer_;
  bool base64_;
  std::deque<std::pair<std::string, std::function<void()>>> out_;
  bool writing_ = false;
  bool closing_ = false;
  bool gone_ = false;
  bool reading_ = false;
  bool read_held_ = false;
};

}  // namespace cloison::streaming
