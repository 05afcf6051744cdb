#include "byte_channel.h"

#include "boost/asio/write.hpp"
#include "boost/beast/core/buffers_to_string.hpp"
#include "boost/beast/websocket.hpp"

namespace cloison::streaming {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class TcpByteChannel final : public ByteChannel {
 public:
  explicit TcpByteChannel(tcp::socket socket) : socket_(std::move(socket)) {}

  asio::io_context& io() override { return static_cast<asio::io_context&>(socket_.get_executor().context()); }

  void ReadSome(ReadHandler handler) override {
    auto buffer = std::make_shared<std::string>(64 * 1024, '\0');
    socket_.async_read_some(asio::buffer(*buffer), [buffer, handler = std::move(handler)](
                                                       const boost::system::error_code& ec, size_t n) {
      buffer->resize(ec ? 0 : n);
      handler(ec, std::move(*buffer));
    });
  }

  void Write(std::string bytes, WriteHandler handler) override {
    auto buffer = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(socket_, asio::buffer(*buffer),
                      [buffer, handler = std::move(handler)](const boost::system::error_code& ec, size_t) {
                        handler(ec);
                      });
  }

  void ShutdownSend() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  void Close() override {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  tcp::socket socket_;
};

}  // namespace

std::unique_ptr<ByteChannel> MakeTcpByteChannel(tcp::socket socket) {
  return std::make_unique<TcpByteChannel>(std::move(socket));
}

WebSocketByteChannel::WebSocketByteChannel(beast::tcp_stream stream) : ws_(std::move(stream)) {}

void WebSocketByteChannel::Accept(http::request<http::string_body> request, const std::string& protocol,
                                  std::function<void(bool)> done) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& response) {
    response.set(http::field::sec_websocket_protocol, protocol);
  }));
  ws_.binary(true);
  ws_.async_accept(request, [done = std::move(done)](const beast::error_code& ec) { done(!ec); });
}

asio::io_context& WebSocketByteChannel::io() {
  return static_cast<asio::io_context&>(ws_.get_executor().context());
}

void WebSocketByteChannel::ReadSome(ReadHandler handler) {
  ws_.async_read(buffer_, [this, handler = std::move(handler)](const beast::error_code& ec, size_t) {
    std::string bytes = ec ? std::string() : beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    handler(ec, std::move(bytes));
  });
}

void WebSocketByteChannel::Write(std::string bytes, WriteHandler handler) {
  auto buffer = std::make_shared<std::string>(std::move(bytes));
  ws_.async_write(asio::buffer(*buffer), [buffer, handler = std::move(handler)](const beast::error_code& ec, size_t) {
    handler(ec);
  });
}

void WebSocketByteChannel::ShutdownSend() {
  ws_.async_close(websocket::close_code::normal, [](const beast::error_code&) {});
}

void WebSocketByteChannel::Close() {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

}  // namespace cloison::streaming
