#include "cloison/util/errno_status.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace cloison::util {

absl::Status SystemCallErrorOf(int error, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(error)));
}

}  // namespace cloison::util
