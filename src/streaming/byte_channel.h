// The byte stream a SPDY session runs on, on the streaming server's io_context thread: a TCP
// connection after an HTTP upgrade, or a WebSocket whose binary messages carry the bytes (the
// SPDY/3.1+portforward.k8s.io tunnel that crictl --transport websocket and client-go's
// SPDY-over-WebSocket dialer open). One read and one write may be outstanding at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/websocket/stream.hpp"

namespace cloison::streaming {

class ByteChannel {
 public:
  // An error (EOF included) ends the channel.
  using ReadHandler = std::function<void(const boost::system::error_code&, std::string)>;
  using WriteHandler = std::function<void(const boost::system::error_code&)>;

  virtual ~ByteChannel() = default;
  virtual boost::asio::io_context& io() = 0;
  virtual void ReadSome(ReadHandler handler) = 0;
  virtual void Write(std::string bytes, WriteHandler handler) = 0;
  // Ends what this side sends (TCP: shutdown; WebSocket: a close frame).
  virtual void ShutdownSend() = 0;
  virtual void Close() = 0;
};

std::unique_ptr<ByteChannel> MakeTcpByteChannel(boost::asio::ip::tcp::socket socket);

class WebSocketByteChannel final : public ByteChannel {
 public:
  explicit WebSocketByteChannel(boost::beast::tcp_stream stream);

  // Completes the WebSocket handshake answering with `protocol`; `done(true)` once it did.
  void Accept(boost::beast::http::request<boost::beast::http::string_body> request, const std::string& protocol,
              std::function<void(bool)> done);

  boost::asio::io_context& io() override;
  void ReadSome(ReadHandler handler) override;
  void Write(std::string bytes, WriteHandler handler) override;
  void ShutdownSend() override;
  void Close() override;

 private:
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace cloison::streaming
