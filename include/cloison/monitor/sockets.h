// The monitor's unix sockets: SOCK_SEQPACKET listeners for the ctl and attach sockets (one
// message per packet), and the console socket an OCI runtime sends a pty master to.
// All descriptors are non-blocking and close-on-exec.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

class AttachHub;
class CtlServer;

// Listens on `path` (a stale socket there is replaced) with the given socket type;
// INVALID_ARGUMENT unless `path` is an absolute path that fits in a unix socket address.
absl::StatusOr<util::UniqueFd> Listen(const std::string& path, int type);

// Listens on a container monitor's ctl socket at `ctl_path` and its attach socket at
// `attach_path` (SOCK_SEQPACKET, their directory must exist) and hands the listeners to `ctl`
// and `attach`.
absl::Status ListenCtlAndAttach(const std::string& ctl_path, const std::string& attach_path, CtlServer& ctl,
                                AttachHub& attach);

// Accepts one pending connection; an invalid fd when none is pending.
util::UniqueFd AcceptPending(int listen_fd);

// Accepts the runtime's pending console-socket connection and receives the pty master it
// passes with SCM_RIGHTS. UNAVAILABLE when no connection is pending yet.
absl::StatusOr<util::UniqueFd> ReceiveConsole(int listen_fd);

}  // namespace cloison::monitor
