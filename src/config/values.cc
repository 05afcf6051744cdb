#include "cloison/config/values.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace cloison::config {

const char* RuntimeTypeName(RuntimeType type) {
  return type == RuntimeType::kVm ? "vm" : "oci";
}

const char* SandboxModeName(SandboxMode mode) {
  return mode == SandboxMode::kInfra ? "infra" : "auto";
}

absl::StatusOr<RuntimeType> ParseRuntimeType(absl::string_view text) {
  if (text == "oci") return RuntimeType::kOci;
  if (text == "vm") return RuntimeType::kVm;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a runtime type (use \"oci\" or \"vm\")"));
}

absl::StatusOr<SandboxMode> ParseSandboxMode(absl::string_view text) {
  if (text == "auto") return SandboxMode::kAuto;
  if (text == "infra") return SandboxMode::kInfra;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a sandbox mode (use \"auto\" or \"infra\")"));
}

absl::Status ValidateLogLevel(absl::string_view text) {
  for (absl::string_view level : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (text == level) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a log level (use trace, debug, info, warn, error or off)"));
}

absl::Status ValidateCgroupDriver(absl::string_view text) {
  if (text == "cgroupfs" || text == "systemd") return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a cgroup driver (use \"cgroupfs\" or \"systemd\")"));
}

absl::Status ValidateIpAddress(absl::string_view text) {
  const std::string address(text);
  unsigned char parsed[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), parsed) == 1 || inet_pton(AF_INET6, address.c_str(), parsed) == 1) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not an IP address"));
}

absl::Status ValidateAbsolutePath(absl::string_view text) {
  if (absl::StartsWith(text, "/")) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not an absolute path"));
}

absl::Status ValidateHandlerName(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 63;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", name, "\" is not a handler name (1-63 of a-z, 0-9, '-' and '.')"));
}

absl::StatusOr<PinnedImagePattern> ParsePinnedImagePattern(absl::string_view entry) {
  auto bad = [entry](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("entry \"", entry, "\" ", reason));
  };
  if (entry.empty()) return bad("is empty");
  for (char c : entry) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return bad("contains white space");
  }
  absl::string_view text = entry;
  const bool leading_star = absl::ConsumePrefix(&text, "*");
  const bool trailing_star = absl::ConsumeSuffix(&text, "*");
  if (text.empty()) return bad("matches every image: name something beside the '*'");
  if (leading_star && !trailing_star) {
    return bad("starts with '*' but does not end with one (use \"*keyword*\" or \"prefix*\")");
  }
  if (absl::StrContains(text, '*')) {
    return bad("has a '*' inside (only \"name\", \"prefix*\" and \"*keyword*\" are patterns)");
  }
  PinnedImagePattern pattern;
  pattern.form = leading_star    ? PinnedImagePattern::Form::kKeyword
                 : trailing_star ? PinnedImagePattern::Form::kPrefix
                                 : PinnedImagePattern::Form::kExact;
  pattern.text = absl::AsciiStrToLower(text);
  return pattern;
}

absl::StatusOr<std::string> ParseListenAddress(absl::string_view text) {
  absl::string_view path = text;
  const bool had_unix_scheme = absl::ConsumePrefix(&path, "unix://");
  if (!had_unix_scheme && absl::StrContains(text, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": only unix sockets are served (a path or unix:///path)"));
  }
  if (absl::Status s = ValidateAbsolutePath(path); !s.ok()) return s;
  if (path.size() >= 108) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", path, "\" is longer than a unix socket path may be (107 bytes)"));
  }
  return std::string(path);
}

}  // namespace cloison::config
