// Port forwarding over WebSocket with Kubernetes' channel protocol (subprotocols
// v4.channel.k8s.io, v4.base64.channel.k8s.io, or none), on the streaming server's io_context
// thread. The ports are fixed when the connection opens: the i-th port has channel 2i for its
// data (both ways) and 2i+1 for its errors (to the client); the first message on each of the
// two is the port as a little-endian uint16. Each port gets one TCP connection to
// 127.0.0.1:<port> in the pod's network namespace, dialled at once; a failed dial is reported
// as text on the error channel. A port ends when its connection does; the WebSocket closes
// once every port ended, and a client that goes away closes every connection.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "boost/asio/posix/stream_descriptor.hpp"
#include "cloison/streaming/input_budget.h"
#include "websocket_channels.h"

namespace cloison::streaming {

class WebSocketPortForward final : public WebSocketChannels {
 public:
  WebSocketPortForward(boost::beast::tcp_stream stream, bool base64, std::string netns_path,
                       std::vector<uint16_t> ports);

 private:
  struct Port {
    uint16_t number = 0;
    std::shared_ptr<boost::asio::posix::stream_descriptor> conn;
    std::deque<std::string> pending;  // from the client, not yet being written to the connection
    bool writing = false;
    bool ended = false;
  };

  void OnOpen() override;
  void OnMessage(uint8_t channel, std::string data) override;
  void OnGone() override;
  void ReadConn(size_t index);
  void WriteConn(size_t index);
  void End(size_t index);
  std::shared_ptr<WebSocketPortForward> self();

  std::string netns_path_;
  std::vector<Port> ports_;
  InputBudget to_pod_;  // pending over all ports
};

}  // namespace cloison::streaming
