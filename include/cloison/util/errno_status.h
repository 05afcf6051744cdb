// A failed system call as an absl::Status: INTERNAL "<what>: <strerror(error)>", for failures on
// cloison's own side (a pipe, a fork, a mount), where the code errno would map to (NOT_FOUND,
// PERMISSION_DENIED...) would mislead the caller into blaming its request. Where the failure
// does tell the caller something (a program it named is not there, a peer does not answer),
// the same message goes with the code the caller chooses.
#pragma once

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

// For the error a call reported: INTERNAL "<what>: <strerror(error)>".
absl::Status SystemCallErrorOf(int error, absl::string_view what);

// The same message with `code` (UNAVAILABLE, NOT_FOUND...) instead of INTERNAL.
absl::Status SystemCallErrorOf(absl::StatusCode code, int error, absl::string_view what);

// For the errno the failed call left: call it right after that call. errno is read before the
// pieces of `what` are joined (joining allocates); pass pieces that already exist (a
// temporary string argument is built before errno is read).
template <typename... Pieces>
absl::Status SystemCallError(const Pieces&... what) {
  const int error = errno;
  return SystemCallErrorOf(error, absl::StrCat(what...));
}

}  // namespace cloison::util
