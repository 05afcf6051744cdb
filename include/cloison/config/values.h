// Parsing and validation of single configuration values, shared by the TOML loader and the
// command-line flags. Each returns INVALID_ARGUMENT with the reason (callers add the key).
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloison/config/config.h"

namespace cloison::config {

absl::StatusOr<RuntimeType> ParseRuntimeType(absl::string_view text);
absl::StatusOr<SandboxMode> ParseSandboxMode(absl::string_view text);

absl::Status ValidateLogLevel(absl::string_view text);
absl::Status ValidateCgroupDriver(absl::string_view text);
absl::Status ValidateAbsolutePath(absl::string_view text);
// An IPv4 or IPv6 address in numeric form.
absl::Status ValidateIpAddress(absl::string_view text);
// Handler names follow RuntimeClass handler rules: lowercase letters, digits, '-' and '.'.
absl::Status ValidateHandlerName(absl::string_view name);

// An [image] pinned_images entry, in CRI-O's three forms: "name" (exact), "prefix*" (glob: the
// names starting with prefix) and "*keyword*" (the names containing keyword). `text` is the
// entry without its '*'s, in lower case: names are matched without regard to case.
struct PinnedImagePattern {
  enum class Form { kExact, kPrefix, kKeyword };
  Form form = Form::kExact;
  std::string text;
};
// INVALID_ARGUMENT, quoting the entry, for an empty one, one with white space, a '*' anywhere
// else than those places, or nothing but '*'s.
absl::StatusOr<PinnedImagePattern> ParsePinnedImagePattern(absl::string_view entry);

// Accepts "/path" or "unix:///path" and returns the socket path.
absl::StatusOr<std::string> ParseListenAddress(absl::string_view text);

}  // namespace cloison::config
