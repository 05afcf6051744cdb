// A ttrpc client (containerd/ttrpc) over one unix socket connection: unary calls only,
// multiplexed by odd stream ids, usable from several threads at once. A reader thread
// matches Response frames to pending calls. Status codes in a Response (google.rpc.Status)
// keep their gRPC numbering as absl codes; a broken connection fails every pending and later
// call with UNAVAILABLE; a call that outlives its timeout fails with DEADLINE_EXCEEDED.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::shim {

using TtrpcMetadata = std::vector<std::pair<std::string, std::string>>;

// The socket of a shim address: "unix://<path>" or a plain path (or "@name") without the scheme.
absl::string_view SocketPath(absl::string_view address);

class TtrpcClient {
 public:
  // `address` is "unix:///abs/path", "unix://path" or a plain path (abstract sockets start
  // with '@'). UNAVAILABLE when nothing listens there within `timeout`.
  static absl::StatusOr<std::unique_ptr<TtrpcClient>> Connect(absl::string_view address,
                                                              std::chrono::milliseconds timeout);
  virtual ~TtrpcClient() = default;

  // Sends Request{service, method, payload, timeout_nano, metadata} and returns the Response
  // payload. `timeout` zero = wait without limit (and no timeout_nano is sent).
  virtual absl::StatusOr<std::string> Call(absl::string_view service, absl::string_view method,
                                           std::string payload, std::chrono::milliseconds timeout,
                                           const TtrpcMetadata& metadata) = 0;
  // True once the connection is gone; a new one must be made.
  virtual bool closed() const = 0;
};

}  // namespace cloison::shim
