// Registry credentials and authentication challenges: turns the CRI AuthConfig kubelet sends
// into credentials bound to the registry they belong to (AuthConfig.server_address: as in
// containerd, they are sent to that host only, never to another registry or to a mirror), and
// parses WWW-Authenticate headers (Basic and Bearer, with the Bearer realm/service/scope
// parameters of the distribution token protocol).
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
  // The registry host ("host[:port]", RegistryHost form) the credentials belong to; "" when
  // kubelet named none: then they go to every endpoint of the pull, mirrors included.
  std::string registry_host;

  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
  // Whether the credentials may be sent to `endpoint_host` (RegistryHost form).
  bool AppliesTo(absl::string_view endpoint_host) const {
    return registry_host.empty() || registry_host == endpoint_host;
  }
};

// The registry host named by an AuthConfig.server_address or an endpoint address: "host",
// "host:port", "https://host[:port]/v2/" ... -> "host[:port]" in lower case, with Docker Hub's
// names (index.docker.io, registry-1.docker.io, registry.hub.docker.com) as "docker.io".
// "" when the address names no host.
std::string RegistryHost(absl::string_view address);

// From the AuthConfig fields. `auth` is base64("user:password") and, when set, supplies the
// username and password; `server_address` binds the credentials to its host. INVALID_ARGUMENT
// when `auth` does not decode to "user:password" or `server_address` names no host.
absl::StatusOr<Credentials> CredentialsFromAuthConfig(absl::string_view username,
                                                      absl::string_view password,
                                                      absl::string_view auth,
                                                      absl::string_view identity_token,
                                                      absl::string_view registry_token,
                                                      absl::string_view server_address);

struct AuthChallenge {
  std::string scheme;  // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case names: realm, service, scope, error
};

// Parses a WWW-Authenticate header value into its challenges (RFC 7235 syntax).
std::vector<AuthChallenge> ParseWwwAuthenticate(absl::string_view header);

// The bearer token in a token service's JSON answer: "token", or OAuth2's "access_token" when
// "token" is missing or empty. INVALID_ARGUMENT when the answer is not a JSON object, either
// field is not a string, there is no token, or it has control characters (it goes into a
// request header).
absl::StatusOr<std::string> TokenFromAnswer(absl::string_view body);

}  // namespace cloison::image
