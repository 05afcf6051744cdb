// A failed system call as an absl::Status: INTERNAL "<what>: <strerror(error)>", for failures on
// cloison's own side (a pipe, a fork, a mount), where the code errno would map to (NOT_FOUND,
// PERMISSION_DENIED...) would mislead the caller into blaming its request.
#pragma once

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

// `error` defaults to errno as the caller sees it: call it right after the failed call.
absl::Status SystemCallError(absl::string_view what, int error = errno);

}  // namespace cloison::util
