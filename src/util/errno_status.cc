#include "cloison/util/errno_status.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace cloison::util {

absl::Status SystemCallErrorOf(int error, absl::string_view what) {
  return SystemCallErrorOf(absl::StatusCode::kInternal, error, what);
}

absl::Status SystemCallErrorOf(absl::StatusCode code, int error, absl::string_view what) {
  return absl::Status(code, absl::StrCat(what, ": ", std::strerror(error)));
}

}  // namespace cloison::util
