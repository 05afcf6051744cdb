#include "websocket_session.h"

#include "boost/beast/core/buffers_to_string.hpp"
#include "boost/beast/websocket.hpp"
#include "cloison/streaming/exit_status.h"
#include "cloison/util/logging.h"
#include "nlohmann/json.hpp"

namespace cloison::streaming {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

constexpr char kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4;
constexpr unsigned char kClose = 255;

}  // namespace

WebSocketRemoteCommand::WebSocketRemoteCommand(beast::tcp_stream stream, std::shared_ptr<StreamTarget> target,
                                               RemoteCommandOptions options)
    : ws_(std::move(stream)), target_(std::move(target)), options_(options) {}

void WebSocketRemoteCommand::Run(http::request<http::string_body> request, std::string protocol) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& response) {
    if (!protocol.empty()) response.set(http::field::sec_websocket_protocol, protocol);
  }));
  ws_.binary(true);
  ws_.async_accept(request, [self = shared_from_this()](const beast::error_code& ec) {
    if (ec) {
      spdlog::debug("streaming: WebSocket handshake: {}", ec.message());
      self->done_ = true;
      self->target_->Cancel();
      return;
    }
    self->Begin();
  });
}

void WebSocketRemoteCommand::Begin() {
  // An empty message on the lowest channel written tells the client the streams are ready.
  Send(options_.stdout ? kStdout : options_.stderr ? kStderr : kError, "", nullptr);
  target_->Start(
      [self = shared_from_this()](int stream, std::string data, std::function<void()> next) {
        self->Send(stream == 1 ? kStdout : kStderr, std::move(data), std::move(next));
      },
      [self = shared_from_this()](absl::StatusOr<int> exit_code) { self->Done(exit_code); });
  Read();
}

void WebSocketRemoteCommand::Read() {
  ws_.async_read(buffer_, [self = shared_from_this()](const beast::error_code& ec, size_t) {
    if (ec) return self->Gone();
    const std::string message = beast::buffers_to_string(self->buffer_.data());
    self->buffer_.consume(self->buffer_.size());
    self->OnMessage(message);
    self->Read();
  });
}

void WebSocketRemoteCommand::OnMessage(const std::string& message) {
  if (message.empty() || done_) return;
  const unsigned char channel = static_cast<unsigned char>(message[0]);
  std::string data = message.substr(1);
  if (channel == kStdin) {
    if (options_.stdin) target_->WriteStdin(std::move(data));
  } else if (channel == kResize) {
    const nlohmann::json size = nlohmann::json::parse(data, nullptr, false);
    if (size.is_object()) target_->Resize(size.value("Width", 0), size.value("Height", 0));
  } else if (channel == kClose && options_.version >= 5 && !data.empty() && data[0] == kStdin) {
    target_->CloseStdin();
  }
}

void WebSocketRemoteCommand::Send(char channel, std::string data, std::function<void()> written) {
  if (gone_ || closing_) return;
  data.insert(data.begin(), channel);
  out_.emplace_back(std::move(data), std::move(written));
  if (!writing_) WriteNext();
}

void WebSocketRemoteCommand::WriteNext() {
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
                    std::function<void()> written = std::move(self->out_.front().second);
                    self->out_.pop_front();
                    if (written) written();
                    self->WriteNext();
                  });
}

void WebSocketRemoteCommand::Done(const absl::StatusOr<int>& exit_code) {
  if (done_) return;
  done_ = true;
  const std::string payload = options_.version >= 4 ? StatusJson(exit_code) : StatusText(exit_code);
  if (!payload.empty()) Send(kError, payload, nullptr);
  closing_ = true;
  if (!writing_) WriteNext();
}

void WebSocketRemoteCommand::Gone() {
  if (gone_) return;
  gone_ = true;
  if (!done_) {
    done_ = true;
    target_->Cancel();
  }
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

}  // namespace cloison::streaming
