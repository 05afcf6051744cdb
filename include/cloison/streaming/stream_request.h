// What one streaming URL stands for: an exec of a command in a container, an attach to a
// container's stdio, or port forwarding into a pod. The CRI RPCs put requests in the token
// cache; the streaming server takes them out when the client connects.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace cloison::streaming {

struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct AttachRequest {
  std::string container_id;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct PortForwardRequest {
  std::string pod_id;
  // The request's ports: what a WebSocket client forwards (SPDY clients name the port of each
  // stream instead). Empty: the WebSocket URL's `port` query parameters say.
  std::vector<uint16_t> ports;
};

using StreamRequest = std::variant<ExecRequest, AttachRequest, PortForwardRequest>;

}  // namespace cloison::streaming
