#include "websocket_channels.h"

#include "boost/beast/core/buffers_to_string.hpp"
#include "boost/beast/websocket.hpp"
#include "cloison/streaming/ws_channel_frame.h"
#include "cloison/util/logging.h"

namespace cloison::streaming {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

}  // namespace

WebSocketChannels::WebSocketChannels(beast::tcp_stream stream, bool base64)
    : ws_(std::move(stream)), idle_(io()), base64_(base64) {}

boost::asio::io_context& WebSocketChannels::io() {
  return static_cast<boost::asio::io_context&>(ws_.get_executor().context());
}

void WebSocketChannels::Run(http::request<http::string_body> request, std::string protocol,
                            std::chrono::seconds idle_timeout) {
  idle_.Start(idle_timeout, weak_from_this(), [this, idle_timeout] {
    spdlog::info("streaming: closing a WebSocket session idle for {} s", idle_timeout.count());
    Gone();
  });
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& response) {
    if (!protocol.empty()) response.set(http::field::sec_websocket_protocol, protocol);
  }));
  ws_.binary(!base64_);
  ws_.async_accept(request, [self = shared_from_this()](const beast::error_code& ec) {
    if (ec) {
      spdlog::debug("streaming: WebSocket handshake: {}", ec.message());
      return self->Gone();
    }
    self->OnOpen();
    self->Read();
  });
}

void WebSocketChannels::Read() {
  if (gone_ || reading_ || read_held_) return;
  reading_ = true;
  ws_.async_read(buffer_, [self = shared_from_this()](const beast::error_code& ec, size_t) {
    self->reading_ = false;
    if (ec) return self->Gone();
    self->idle_.Touch();
    const std::string message = beast::buffers_to_string(self->buffer_.data());
    self->buffer_.consume(self->buffer_.size());
    if (std::optional<ChannelMessage> decoded = DecodeChannelMessage(self->base64_, message)) {
      self->OnMessage(decoded->channel, std::move(decoded->data));
    }
    self->Read();
  });
}

void WebSocketChannels::Send(uint8_t channel, std::string data, std::function<void()> written) {
  if (gone_ || closing_) return;
  out_.emplace_back(EncodeChannelMessage(base64_, channel, data), std::move(written));
  if (!writing_) WriteNext();
}

void WebSocketChannels::HoldReading(bool hold) {
  read_held_ = hold;
  if (!hold) Read();
}

void WebSocketChannels::Close() {
  if (closing_) return;
  closing_ = true;
  if (!writing_) WriteNext();
}

void WebSocketChannels::WriteNext() {
  if (out_.empty()) {
    writing_ = false;
    if (closing_ && !gone_) {
      ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](const beast::error_code&) {});
    }
    return;
  }
  writing_ = true;
  ws_.async_write(boost::asio::buffer(out_.front().first),
                  [self = shared_from_this()](const beast::error_code& ec, size_t) {
                    if (ec) {
                      self->out_.clear();
                      self->writing_ = false;
                      return self->Gone();
                    }
                    self->idle_.Touch();
                    std::function<void()> written = std::move(self->out_.front().second);
                    self->out_.pop_front();
                    if (written) written();
                    self->WriteNext();
                  });
}

void WebSocketChannels::Gone() {
  if (gone_) return;
  gone_ = true;
  idle_.Stop();
  OnGone();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

}  // namespace cloison::streaming
