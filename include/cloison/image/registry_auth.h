// Registry credentials and authentication challenges: turns the CRI AuthConfig kubelet sends
// into credentials, and parses WWW-Authenticate headers (Basic and Bearer, with the Bearer
// realm/service/scope parameters of the distribution token protocol).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::image {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // a refresh token for the registry's OAuth2 token endpoint
  std::string registry_token;  // a bearer token to send as it is

  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

// From the AuthConfig fields. `auth` is base64("user:password") and, when set, supplies the
// username and password. INVALID_ARGUMENT when `auth` does not decode to "user:password".
absl::StatusOr<Credentials> CredentialsFromAuthConfig(absl::string_view username,
                                                      absl::string_view password,
                                                      absl::string_view auth,
                                                      absl::string_view identity_token,
                                                      absl::string_view registry_token);

struct AuthChallenge {
  std::string scheme;  // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case names: realm, service, scope, error
};

// Parses a WWW-Authenticate header value into its challenges (RFC 7235 syntax).
std::vector<AuthChallenge> ParseWwwAuthenticate(absl::string_view header);

}  // namespace cloison::image
