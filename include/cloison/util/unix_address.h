// The sockaddr_un of a unix socket for bind, connect or sendto: a filesystem path, or "@name"
// for a name in Linux's abstract namespace (stored with a leading NUL and no terminator, the
// way systemd's NOTIFY_SOCKET and containerd's shim addresses write it). Cloison's own sockets
// (the monitors' ctl, attach and console sockets, the shim events socket, the CRI socket) are
// files under its state directories: UnixSocketFileAddress takes only an absolute path for
// them, so a mistaken "@name" never binds an abstract socket nobody else can see or unlink.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

struct UnixAddress {
  sockaddr_un storage{};
  socklen_t length = 0;  // the family and the used part of sun_path
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// A path or an "@name". INVALID_ARGUMENT, naming `field` (what the path is, for the message),
// when `path` is empty or does not fit in sun_path.
absl::StatusOr<UnixAddress> UnixSocketAddress(absl::string_view path, absl::string_view field = "unix socket path");

// An absolute filesystem path only: as UnixSocketAddress, and INVALID_ARGUMENT naming `field`
// also for an "@name" or a relative path.
absl::StatusOr<UnixAddress> UnixSocketFileAddress(absl::string_view path, absl::string_view field);

}  // namespace cloison::util
