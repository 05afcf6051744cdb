// Remote command over WebSocket (Kubernetes' channel protocols), on the streaming server's
// io_context thread. Channels: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize
// ({"Width":W,"Height":H}); v5.channel.k8s.io adds 255 (CLOSE, followed by the channel the
// client closed). As Kubernetes does, the session first sends an empty message on the lowest
// channel it writes, and ends with the error channel: the JSON Status for v4 and v5, the
// failure's text (nothing for success) for channel.k8s.io. The base64 subprotocols frame the
// same channels as text (see ws_channel_frame.h).
#pragma once

#include <memory>

#include "cloison/streaming/input_budget.h"
#include "spdy_session.h"
#include "stream_target.h"
#include "websocket_channels.h"

namespace cloison::streaming {

class WebSocketRemoteCommand final : public WebSocketChannels {
 public:
  // `options.version`: 1 (channel.k8s.io, base64.channel.k8s.io), 4 or 5.
  WebSocketRemoteCommand(boost::beast::tcp_stream stream, bool base64, std::shared_ptr<StreamTarget> target,
                         RemoteCommandOptions options);

 private:
  void OnOpen() override;
  void OnMessage(uint8_t channel, std::string data) override;
  void OnGone() override;
  void Done(const absl::StatusOr<int>& exit_code);
  std::shared_ptr<WebSocketRemoteCommand> self();

  std::shared_ptr<StreamTarget> target_;
  RemoteCommandOptions options_;
  InputBudget stdin_budget_;  // stdin sent, not yet written to the process
  bool done_ = false;
};

}  // namespace cloison::streaming
