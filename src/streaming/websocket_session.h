// Remote command over WebSocket (Kubernetes' channel protocols), on the streaming server's
// io_context thread. Every binary message starts with its channel: 0 stdin, 1 stdout,
// 2 stderr, 3 error, 4 resize ({"Width":W,"Height":H}); v5.channel.k8s.io adds 255 (CLOSE,
// followed by the channel the client closed). As Kubernetes does, the session first sends an
// empty message on the lowest channel it writes, and ends with the error channel: the JSON
// Status for v4 and v5, the failure's text for channel.k8s.io.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/websocket/stream.hpp"
#include "spdy_session.h"
#include "stream_target.h"

namespace cloison::streaming {

class WebSocketRemoteCommand final : public std::enable_shared_from_this<WebSocketRemoteCommand> {
 public:
  // `options.version`: 1 (channel.k8s.io), 4 or 5.
  WebSocketRemoteCommand(boost::beast::tcp_stream stream, std::shared_ptr<StreamTarget> target,
                         RemoteCommandOptions options);

  // Completes the WebSocket handshake answering with `protocol` ("" for none), then runs.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request, std::string protocol);

 private:
  void Begin();
  void Read();
  void OnMessage(const std::string& message);
  void Send(char channel, std::string data, std::function<void()> written);
  void WriteNext();
  void Done(const absl::StatusOr<int>& exit_code);
  void Gone();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<StreamTarget> target_;
  RemoteCommandOptions options_;
  std::deque<std::pair<std::string, std::function<void()>>> out_;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
  bool gone_ = false;
};

}  // namespace cloison::streaming
