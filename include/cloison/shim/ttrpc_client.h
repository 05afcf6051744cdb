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

// What the caller knows of the listener at an address: it decides which failed connect() is
// tried again (until the timeout) and which one is final.
enum class Listener {
  // A shim still starting: its socket may not exist or listen yet (ENOENT, ECONNREFUSED).
  kMayBeStarting,
  // An address a shim's `start` reported: shims bind and listen before they print it, so a
  // missing socket or a refusal means the shim is gone, and fails at once.
  kReported,
};

// Whether a connect() that failed with `error` is worth another try: EAGAIN (a live
// listener's backlog is full) always, ENOENT and ECONNREFUSED only for kMayBeStarting.
bool ConnectWorthRetrying(int error, Listener listener);

class TtrpcClient {
 public:
  // `address` is "unix:///abs/path", "unix://path" or a plain path (abstract sockets start
  // with '@'). UNAVAILABLE when nothing listens there within `timeout`, or at once when the
  // failure is final for `listener` (see ConnectWorthRetrying).
  static absl::StatusOr<std::unique_ptr<TtrpcClient>> Connect(absl::string_view address,
                                                              std::chrono::milliseconds timeout,
                                                              Listener listener = Listener::kMayBeStarting);
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
