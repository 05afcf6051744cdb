// Tells the service manager about the daemon's state, as sd_notify(3) does, without libsystemd:
// when $NOTIFY_SOCKET names a unix datagram socket (a path, or "@name" for the abstract
// namespace), sends `state` ("READY=1", "RELOADING=1", "STOPPING=1", ...) to it as one datagram.
// Does nothing when $NOTIFY_SOCKET is unset or empty (not started by systemd with Type=notify).
// Why not libsystemd: cloisond links its libraries statically (cmake/StaticDaemonLink.cmake) and
// Debian ships no libsystemd.a; the shared one would load 5 more libraries beside itself
// (libcap, libgcrypt, libgpg-error, liblzma, liblz4) for what is one sendto().
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace cloison::util {

// OK when sent or when there is no $NOTIFY_SOCKET; INVALID_ARGUMENT for a $NOTIFY_SOCKET that
// is no unix socket address; UNAVAILABLE when the datagram cannot be sent.
absl::Status NotifyServiceManager(std::string_view state);

}  // namespace cloison::util
