// The sockaddr_un of a unix socket for bind, connect or sendto: a filesystem path, or "@name"
// for a name in Linux's abstract namespace (stored with a leading NUL and no terminator, the
// way systemd's NOTIFY_SOCKET and containerd's shim addresses write it).
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

// INVALID_ARGUMENT when `path` is empty or does not fit in sun_path.
absl::StatusOr<UnixAddress> UnixSocketAddress(absl::string_view path);

}  // namespace cloison::util
