// Parses JSON that comes from outside and that cloisond then copies and serializes: a CNI
// configuration file, a CNI plugin's output. nlohmann::json parses iteratively but copies,
// compares and dumps recursively, so a document nested tens of thousands of levels deep (a
// 128 KiB file of "[") would overflow the stack after a successful parse. Header-only: compiled out of line,
// GCC 12 raises a -Wnull-dereference false positive on cni_config.cc's reads of the result.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cloison::util {

// Deeper than any configuration or result needs, shallow enough for any thread's stack.
inline constexpr int kMaxJsonDepth = 256;

// The parsed document (is_discarded() when the text is not JSON), or INVALID_ARGUMENT when it
// nests deeper than kMaxJsonDepth.
inline absl::StatusOr<nlohmann::json> ParseBoundedJson(absl::string_view text) {
  bool too_deep = false;
  // Returning false drops the value being built, so nothing deep is kept while parsing goes on.
  const nlohmann::json::parser_callback_t limit = [&too_deep](int depth, nlohmann::json::parse_event_t,
                                                              nlohmann::json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  nlohmann::json document = nlohmann::json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (too_deep) return absl::InvalidArgumentError(absl::StrCat("nested deeper than ", kMaxJsonDepth, " levels"));
  return document;
}

}  // namespace cloison::util
