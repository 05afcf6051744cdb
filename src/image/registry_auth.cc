#include "cloison/image/registry_auth.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/json_fields.h"
#include "nlohmann/json.hpp"

namespace cloison::image {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '!' || c == '#' || c == '$' || c == '%' ||
         c == '&' || c == '\'' || c == '*' || c == '+' || c == '-' || c == '.' || c == '^' || c == '_' ||
         c == '`' || c == '|' || c == '~';
}

// A small cursor over the header text.
class Scanner {
 public:
  explicit Scanner(absl::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  void SkipSpaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool Consume(char c) {
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string Token() {
    SkipSpaces();
    const size_t start = pos_;
    while (pos_ < text_.size() && IsTokenChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  std::string QuotedOrToken() {
    SkipSpaces();
    if (pos_ >= text_.size() || text_[pos_] != '"') return Token();
    ++pos_;
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      value.push_back(text_[pos_++]);
    }
    if (pos_ < text_.size()) ++pos_;  // closing quote
    return value;
  }
  // True when the next token is followed by '=' (a parameter, not a new scheme).
  bool AtParameter() const {
    size_t p = pos_;
    while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
    const size_t start = p;
    while (p < text_.size() && IsTokenChar(text_[p])) ++p;
    if (p == start) return false;
    while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
    return p < text_.size() && text_[p] == '=';
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string RegistryHost(absl::string_view address) {
  absl::string_view authority = address;
  if (const size_t scheme_end = authority.find("://"); scheme_end != absl::string_view::npos) {
    authority.remove_prefix(scheme_end + 3);
  }
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) authority.remove_prefix(at + 1);
  const std::string host = absl::AsciiStrToLower(authority);
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "registry.hub.docker.com") {
    return "docker.io";
  }
  return host;
}

absl::StatusOr<Credentials> CredentialsFromAuthConfig(absl::string_view username,
                                                      absl::string_view password,
                                                      absl::string_view auth,
                                                      absl::string_view identity_token,
                                                      absl::string_view registry_token,
                                                      absl::string_view server_address) {
  Credentials credentials{std::string(username), std::string(password), std::string(identity_token),
                          std::string(registry_token), RegistryHost(server_address)};
  if (!server_address.empty() && credentials.registry_host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth.server_address \"", server_address, "\" names no registry host"));
  }
  if (!auth.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(auth, &decoded)) {
      return absl::InvalidArgumentError("auth.auth is not valid base64");
    }
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError("auth.auth does not decode to \"user:password\"");
    }
    credentials.username = decoded.substr(0, colon);
    credentials.password = decoded.substr(colon + 1);
  }
  return credentials;
}

std::vector<AuthChallenge> ParseWwwAuthenticate(absl::string_view header) {
  std::vector<AuthChallenge> challenges;
  Scanner scanner(header);
  while (!scanner.done()) {
    while (scanner.Consume(',')) {
    }
    std::string scheme = scanner.Token();
    if (scheme.empty()) break;
    AuthChallenge challenge;
    challenge.scheme = absl::AsciiStrToLower(scheme);
    while (scanner.AtParameter()) {
      std::string name = absl::AsciiStrToLower(scanner.Token());
      scanner.Consume('=');
      challenge.params[name] = scanner.QuotedOrToken();
      if (!scanner.Consume(',')) break;
    }
    challenges.push_back(std::move(challenge));
  }
  return challenges;
}

absl::StatusOr<std::string> TokenFromAnswer(absl::string_view body) {
  const nlohmann::json answer = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!answer.is_object()) return absl::InvalidArgumentError("the answer is not a JSON object");
  absl::StatusOr<std::string> token = util::StringField(answer, "token", "token answer");
  if (!token.ok()) return token.status();
  if (token->empty()) token = util::StringField(answer, "access_token", "token answer");
  if (!token.ok()) return token.status();
  if (token->empty()) return absl::InvalidArgumentError("the answer has no token");
  if (std::any_of(token->begin(), token->end(), [](char c) { return absl::ascii_iscntrl(c); })) {
    return absl::InvalidArgumentError("the token has control characters");
  }
  return token;
}

}  // namespace cloison::image
