// Signal names as images and the CRI write them ("SIGTERM", "TERM", "15", "SIGRTMIN+3") to
// signal numbers.
#pragma once

#include <optional>

#include "absl/strings/string_view.h"

namespace cloison::util {

std::optional<int> ParseSignal(absl::string_view text);

}  // namespace cloison::util
