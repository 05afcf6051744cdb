#include "cloison/image/reference.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cloison::image {
namespace {

constexpr absl::string_view kDockerHub = "docker.io";
constexpr absl::string_view kLegacyDockerHub = "index.docker.io";
constexpr absl::string_view kOfficialNamespace = "library/";
constexpr absl::string_view kDefaultTag = "latest";
constexpr absl::string_view kSha256Prefix = "sha256:";
constexpr size_t kSha256HexLength = 64;
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

absl::Status Invalid(absl::string_view input, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", input, "\" is not a valid image reference: ", reason));
}

bool IsLowerHex(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); }
bool IsLowerAlnum(char c) { return absl::ascii_isdigit(c) || absl::ascii_islower(c); }
bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

bool IsImageId(absl::string_view text) {
  return text.size() == kSha256HexLength && std::all_of(text.begin(), text.end(), IsLowerHex);
}

// Docker's rule: the text before the first '/' is a registry when it contains '.' or ':' or
// is "localhost". Returns that registry, or nothing for a short name.
std::optional<absl::string_view> RegistryPart(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return std::nullopt;
  absl::string_view first = text.substr(0, slash);
  if (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost") {
    return first;
  }
  return std::nullopt;
}

// The host of "host[:port]" or "[ipv6][:port]", brackets removed; nothing when the port is
// malformed or a bracket is unclosed.
struct Host {
  absl::string_view name;
  bool bracketed = false;
};

std::optional<Host> SplitHostPort(absl::string_view registry) {
  Host host;
  absl::string_view rest;
  if (absl::ConsumePrefix(&registry, "[")) {
    const size_t close = registry.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    host = {registry.substr(0, close), true};
    rest = registry.substr(close + 1);
  } else {
    const size_t colon = registry.find(':');
    host = {registry.substr(0, colon), false};
    if (colon != absl::string_view::npos) rest = registry.substr(colon);
  }
  if (rest.empty()) return host;
  uint32_t port = 0;
  if (!absl::ConsumePrefix(&rest, ":") || rest.empty() || rest.size() > 5 ||
      !std::all_of(rest.begin(), rest.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(rest, &port) || port > 65535) {
    return std::nullopt;
  }
  return host;
}

// Fills `bytes` with the binary address when `text` is a valid address of `family`.
bool ParseAddress(int family, absl::string_view text, std::array<unsigned char, 16>& bytes) {
  const std::string copy(text);
  return inet_pton(family, copy.c_str(), bytes.data()) == 1;
}

// [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
bool IsDomainLabel(absl::string_view label) {
  return !label.empty() && label.front() != '-' && label.back() != '-' &&
         std::all_of(label.begin(), label.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '-'; });
}

bool IsValidRegistry(absl::string_view registry) {
  const std::optional<Host> host = SplitHostPort(registry);
  if (!host) return false;
  if (host->bracketed) {
    std::array<unsigned char, 16> bytes;
    return ParseAddress(AF_INET6, host->name, bytes);
  }
  const std::vector<absl::string_view> labels = absl::StrSplit(host->name, '.');
  return std::all_of(labels.begin(), labels.end(), IsDomainLabel);
}

// Runs of [a-z0-9] joined by ".", "_", "__" or one or more "-".
bool IsPathComponent(absl::string_view component) {
  if (component.empty() || !IsLowerAlnum(component.front()) ||
      !IsLowerAlnum(component.back())) {
    return false;
  }
  size_t i = 0;
  while (i < component.size()) {
    if (IsLowerAlnum(component[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (!IsLowerAlnum(component[i])) ++i;  // the last character is alphanumeric
    const absl::string_view separator = component.substr(start, i - start);
    const bool dashes = separator.find_first_not_of('-') == absl::string_view::npos;
    if (!dashes && separator != "." && separator != "_" && separator != "__") return false;
  }
  return true;
}

absl::Status CheckPath(absl::string_view path) {
  if (std::any_of(path.begin(), path.end(), absl::ascii_isupper)) {
    return absl::InvalidArgumentError("repository name must be lowercase");
  }
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (component.empty()) {
      return absl::InvalidArgumentError(
          "repository has an empty path component (leading, trailing or repeated '/')");
    }
    if (!IsPathComponent(component)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path component \"", component,
          "\" must be runs of [a-z0-9] joined by '.', '_', '__' or '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTag(absl::string_view tag) {
  const bool ok = !tag.empty() && tag.size() <= kMaxTagLength && IsWordChar(tag.front()) &&
                  std::all_of(tag.begin(), tag.end(),
                              [](char c) { return IsWordChar(c) || c == '.' || c == '-'; });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("tag \"", tag, "\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
}

absl::Status CheckDigest(absl::string_view digest) {
  if (IsValidDigest(digest)) return absl::OkStatus();
  const size_t colon = digest.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("digest \"", digest, "\" must be algorithm:hex"));
  }
  if (digest.substr(0, colon) != "sha256") {
    return absl::InvalidArgumentError(absl::StrCat(
        "digest algorithm \"", digest.substr(0, colon), "\" is not supported (only sha256)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "digest \"", digest, "\" must be sha256 with 64 lowercase hex characters"));
}

// Builds and validates the reference `input` names, given its registry (already validated)
// and the rest, "path[:tag][@digest]".
absl::StatusOr<Reference> Build(absl::string_view input, absl::string_view registry,
                                absl::string_view remainder) {
  Reference ref;
  ref.registry = std::string(registry == kLegacyDockerHub ? kDockerHub : registry);
  absl::string_view path = remainder;
  if (const size_t at = path.find('@'); at != absl::string_view::npos) {
    ref.digest = std::string(path.substr(at + 1));
    path = path.substr(0, at);
    if (absl::Status s = CheckDigest(ref.digest); !s.ok()) return Invalid(input, s.message());
  }
  if (const size_t colon = path.find(':'); colon != absl::string_view::npos) {
    ref.tag = std::string(path.substr(colon + 1));
    path = path.substr(0, colon);
    if (absl::Status s = CheckTag(ref.tag); !s.ok()) return Invalid(input, s.message());
  }
  if (path.empty()) return Invalid(input, "repository name is empty");
  if (absl::Status s = CheckPath(path); !s.ok()) return Invalid(input, s.message());

  const bool official = ref.registry == kDockerHub && !absl::StrContains(path, '/');
  ref.repository = absl::StrCat(official ? kOfficialNamespace : "", path);
  if (ref.Name().size() > kMaxNameLength) {
    return Invalid(input, absl::StrCat("name \"", ref.Name(), "\" is longer than ",
                                       kMaxNameLength, " characters"));
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return ref;
}

}  // namespace

std::string Reference::Name() const { return absl::StrCat(registry, "/", repository); }

std::string Reference::String() const {
  return absl::StrCat(Name(), tag.empty() ? "" : ":", tag, digest.empty() ? "" : "@", digest);
}

std::string Reference::TaggedString() const {
  return tag.empty() ? "" : absl::StrCat(Name(), ":", tag);
}

std::string Reference::DigestedString() const {
  return digest.empty() ? "" : absl::StrCat(Name(), "@", digest);
}

absl::StatusOr<Reference> ParseReference(absl::string_view text) {
  if (text.empty()) return Invalid(text, "it is empty");
  if (IsImageId(text)) {
    return Invalid(text, "a 64-character hex string is an image ID, not a name");
  }
  const std::optional<absl::string_view> registry = RegistryPart(text);
  if (!registry) return Build(text, kDockerHub, text);
  if (!IsValidRegistry(*registry)) {
    return Invalid(text, absl::StrCat("registry \"", *registry,
                                      "\" is not host[:port] or [ipv6][:port]"));
  }
  return Build(text, *registry, text.substr(registry->size() + 1));
}

bool IsShortName(absl::string_view text) { return !RegistryPart(text).has_value(); }

absl::StatusOr<std::vector<Reference>> ResolveName(
    absl::string_view text, const std::vector<std::string>& search_registries) {
  absl::StatusOr<Reference> parsed = ParseReference(text);
  if (!parsed.ok()) return parsed.status();
  if (!IsShortName(text)) return std::vector<Reference>{*std::move(parsed)};

  const std::vector<std::string> fallback = {std::string(kDockerHub)};
  std::vector<Reference> candidates;
  for (const std::string& registry : search_registries.empty() ? fallback : search_registries) {
    if (!IsValidRegistry(registry)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search registry \"", registry, "\" is not host[:port] or [ipv6][:port]"));
    }
    absl::StatusOr<Reference> candidate = Build(text, registry, text);
    if (!candidate.ok()) return candidate.status();
    if (std::find(candidates.begin(), candidates.end(), *candidate) == candidates.end()) {
      candidates.push_back(*std::move(candidate));
    }
  }
  return candidates;
}

bool IsLoopbackRegistry(absl::string_view registry) {
  const std::optional<Host> host = SplitHostPort(registry);
  if (!host) return false;
  std::array<unsigned char, 16> bytes{};
  if (host->bracketed) {
    const std::array<unsigned char, 16> loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                    0, 0, 0, 0, 0, 0, 0, 1};
    return ParseAddress(AF_INET6, host->name, bytes) && bytes == loopback;
  }
  if (absl::EqualsIgnoreCase(host->name, "localhost")) return true;
  return ParseAddress(AF_INET, host->name, bytes) && bytes[0] == 127;
}

bool IsValidDigest(absl::string_view digest) {
  return absl::ConsumePrefix(&digest, kSha256Prefix) && digest.size() == kSha256HexLength &&
         std::all_of(digest.begin(), digest.end(), IsLowerHex);
}

}  // namespace cloison::image
