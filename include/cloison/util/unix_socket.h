// Prepares the path a unix socket server will listen on: creates missing parent directories
// (mode 0711), refuses when a live server already answers there, and removes a stale socket.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace cloison::util {

// ALREADY_EXISTS when something accepts connections on `path`; FAILED_PRECONDITION when
// `path` exists and is not a socket.
absl::Status PrepareListenPath(const std::string& path);

// True when a connect() to the unix socket at `path` (an absolute path, never "@name") succeeds.
bool SocketAnswers(const std::string& path);

// Creates `dir` and its missing parents; directories it creates get `mode` (not umask'ed).
absl::Status MakeDirs(const std::string& dir, unsigned mode);

}  // namespace cloison::util
