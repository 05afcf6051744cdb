// UTF-8 checks for bytes that must become JSON strings (a spec's env, a YAML file's strings,
// a configuration's values): nlohmann::json's dump() throws on a string that is not valid UTF-8.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace cloison::util {

// Length of the valid UTF-8 sequence at the start of `s` (not empty), or 0 if it is not one.
size_t Utf8SequenceLength(absl::string_view s);

bool IsUtf8(absl::string_view s);

// Each byte that does not start a valid sequence becomes U+FFFD, as Go's JSON encoder does.
std::string ValidUtf8(absl::string_view s);

}  // namespace cloison::util
