// cloisond's streaming server: the HTTP endpoint the URLs of Exec, Attach and PortForward
// point to (http://<address>:<port>/{exec,attach,portforward}/<token>). It listens on its own
// io_context thread; each connection is upgraded to SPDY/3.1 (what kubelet speaks, remote
// command v1-v4 and portforward.k8s.io) or to WebSocket (crictl --transport websocket: remote
// command channel.k8s.io, v4 and v5, binary or base64; port forwarding with the channel
// protocol, or SPDY/3.1+portforward.k8s.io, SPDY tunnelled in binary messages). Tokens come
// from a RequestCache: one use, one minute; an unknown, used or expired token gets 404. A
// command that cannot start is answered on its error stream, after the upgrade. A session
// with nothing read or written for the idle timeout is closed (its exec killed), as
// containerd's and CRI-O's stream_idle_timeout do.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/streaming/backend.h"
#include "cloison/streaming/request_cache.h"

namespace cloison::streaming {

class StreamingServer {
 public:
  // Listens on `address`:`port` (port 0 picks a free one) and starts serving; `idle_timeout`
  // zero: sessions may stay idle for ever.
  static absl::StatusOr<std::unique_ptr<StreamingServer>> Start(const std::string& address, int port,
                                                                std::chrono::seconds idle_timeout, Backend& backend);
  ~StreamingServer();  // stops serving; open sessions are closed (their execs killed)

  // A fresh URL for `request`.
  absl::StatusOr<std::string> Url(StreamRequest request);
  // http://<address>:<port>
  const std::string& base_url() const;

 private:
  struct Impl;
  explicit StreamingServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cloison::streaming
