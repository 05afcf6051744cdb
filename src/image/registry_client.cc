#include "cloison/image/registry_client.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/image/digest.h"
#include "cloison/image/reference.h"
#include "cloison/util/logging.h"

namespace cloison::image {
namespace {

// containers/image's bound for a token answer, which is read whole.
constexpr size_t kMaxTokenAnswerBytes = 1 << 20;

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

// "[scheme://]host[:port]" -> endpoint; plain HTTP is allowed for insecure or loopback hosts.
std::pair<std::string, bool> EndpointBase(absl::string_view address, bool insecure) {
  absl::string_view host = address;
  const bool http = absl::ConsumePrefix(&host, "http://");
  const bool https = !http && absl::ConsumePrefix(&host, "https://");
  host = absl::StripSuffix(host, "/");
  const bool plain_ok = insecure || IsLoopbackRegistry(host);
  if (http) return {absl::StrCat("http://", host), true};
  if (https) return {absl::StrCat("https://", host), false};
  return {absl::StrCat("https://", host), plain_ok};
}

}  // namespace

RegistryClient::RegistryClient(const std::string& registry, std::string repository,
                               const config::RegistryConfig& config, Credentials credentials)
    : registry_(registry),
      repository_(std::move(repository)),
      timeout_seconds_(config.timeout),
      ca_file_(config.ca_file),
      credentials_(std::move(credentials)) {
  std::vector<std::string> addresses = config.mirrors;
  // Docker Hub's API lives on registry-1.docker.io.
  addresses.push_back(registry == "docker.io" ? "registry-1.docker.io" : registry);
  for (const std::string& address : addresses) {
    auto [base, plain] = EndpointBase(address, config.insecure);
    const bool send_credentials = credentials_.AppliesTo(RegistryHost(base));
    if (!send_credentials && !credentials_.empty()) {
      spdlog::debug("not sending the credentials for {} to {}", credentials_.registry_host, base);
    }
    endpoints_.push_back({base, plain, send_credentials});
  }
}

RegistryClient::Endpoint RegistryClient::EndpointAt(size_t index) const {
  absl::MutexLock lock(&mu_);
  return endpoints_[index];
}

absl::StatusOr<HttpResponse> RegistryClient::GetOnce(const Endpoint& endpoint, const std::string& path,
                                                     const std::vector<std::string>& extra_headers,
                                                     const BodySink& sink) {
  HttpRequest request;
  request.url = absl::StrCat(endpoint.base, path);
  request.headers = extra_headers;
  request.ca_file = ca_file_;
  request.timeout_seconds = timeout_seconds_;
  request.max_body = kMaxManifestBytes;  // the only bodies captured here: blobs go to a sink
  {
    absl::MutexLock lock(&mu_);
    if (auto it = authorization_.find(endpoint.base); it != authorization_.end()) {
      request.headers.push_back(it->second);
    } else if (endpoint.send_credentials && !credentials_.registry_token.empty()) {
      request.headers.push_back(absl::StrCat("Authorization: Bearer ", credentials_.registry_token));
    }
  }
  return PerformHttp(request, sink);
}

absl::StatusOr<HttpResponse> RegistryClient::Get(size_t endpoint_index, const std::string& path,
                                                 const std::vector<std::string>& extra_headers,
                                                 const BodySink& sink) {
  Endpoint endpoint = EndpointAt(endpoint_index);
  absl::StatusOr<HttpResponse> response = GetOnce(endpoint, path, extra_headers, sink);
  if (!response.ok() && absl::IsUnavailable(response.status()) && endpoint.plain_http_allowed &&
      absl::StartsWith(endpoint.base, "https://")) {
    // Like Docker for insecure and loopback registries: no TLS spoken there, use plain HTTP.
    const std::string http_base = absl::StrCat("http://", endpoint.base.substr(8));
    {
      absl::MutexLock lock(&mu_);
      endpoints_[endpoint_index].base = http_base;
    }
    endpoint.base = http_base;
    response = GetOnce(endpoint, path, extra_headers, sink);
  }
  if (response.ok() && response->status == 401) {
    if (absl::Status s = Authenticate(endpoint, *response); !s.ok()) return s;
    response = GetOnce(endpoint, path, extra_headers, sink);
  }
  return response;
}

absl::Status RegistryClient::Authenticate(const Endpoint& endpoint, const HttpResponse& challenge_response) {
  const auto header = challenge_response.headers.find("www-authenticate");
  const std::vector<AuthChallenge> challenges =
      header == challenge_response.headers.end() ? std::vector<AuthChallenge>{}
                                                 : ParseWwwAuthenticate(header->second);
  const Credentials none;
  const Credentials& credentials = endpoint.send_credentials ? credentials_ : none;
  const bool have_password = !credentials.username.empty() || !credentials.password.empty();
  for (const AuthChallenge& challenge : challenges) {
    if (challenge.scheme == "basic" && have_password) {
      const std::string basic = absl::Base64Escape(absl::StrCat(credentials.username, ":", credentials.password));
      absl::MutexLock lock(&mu_);
      authorization_[endpoint.base] = absl::StrCat("Authorization: Basic ", basic);
      return absl::OkStatus();
    }
    if (challenge.scheme != "bearer") continue;
    const auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end()) continue;
    const auto service = challenge.params.find("service");
    const auto scope = challenge.params.find("scope");
    const std::string scope_value =
        scope != challenge.params.end() ? scope->second : absl::StrCat("repository:", repository_, ":pull");
    HttpRequest token_request;
    token_request.ca_file = ca_file_;
    token_request.timeout_seconds = timeout_seconds_;
    token_request.max_body = kMaxTokenAnswerBytes;
    std::string query = absl::StrCat("scope=", PercentEncode(scope_value));
    if (service != challenge.params.end()) absl::StrAppend(&query, "&service=", PercentEncode(service->second));
    if (!credentials.identity_token.empty()) {
      // OAuth2 refresh-token grant, as Docker does with an identity token.
      token_request.method = "POST";
      token_request.url = realm->second;
      token_request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
      token_request.body = absl::StrCat(query, "&grant_type=refresh_token&client_id=cloison&refresh_token=",
                                        PercentEncode(credentials.identity_token));
    } else {
      token_request.url = absl::StrCat(realm->second, absl::StrContains(realm->second, "?") ? "&" : "?", query);
      if (have_password) {
        token_request.headers.push_back(absl::StrCat(
            "Authorization: Basic ",
            absl::Base64Escape(absl::StrCat(credentials.username, ":", credentials.password))));
      }
    }
    absl::StatusOr<HttpResponse> token_response = PerformHttp(token_request);
    if (!token_response.ok()) return token_response.status();
    if (token_response->status == 401 || token_response->status == 403) {
      const bool sent_credentials = have_password || !credentials.identity_token.empty();
      return absl::UnauthenticatedError(absl::StrCat(
          "registry ", registry_, ": the token service at ", realm->second,
          sent_credentials ? " rejected the credentials for " : " refused an anonymous token for ", repository_,
          " (HTTP ", token_response->status, ")"));
    }
    if (token_response->status != 200) {
      return absl::UnavailableError(absl::StrCat("registry ", registry_, ": token service ", realm->second,
                                                 " answered HTTP ", token_response->status));
    }
    absl::StatusOr<std::string> token = TokenFromAnswer(token_response->body);
    if (!token.ok()) {
      return absl::UnavailableError(absl::StrCat("registry ", registry_, ": token service ", realm->second,
                                                 " returned no usable token: ", token.status().message()));
    }
    absl::MutexLock lock(&mu_);
    authorization_[endpoint.base] = absl::StrCat("Authorization: Bearer ", *token);
    return absl::OkStatus();
  }
  std::string missing;
  if (!credentials_.empty() && !endpoint.send_credentials) {
    missing = absl::StrCat(" and the credentials given belong to ", credentials_.registry_host,
                           " (auth.server_address), not ", RegistryHost(endpoint.base));
  } else if (!have_password && credentials.identity_token.empty()) {
    missing = " and no credentials were given";
  }
  return absl::UnauthenticatedError(
      absl::StrCat("registry ", registry_, ": authentication required to pull ", repository_, missing));
}

absl::Status RegistryClient::StatusFromResponse(const HttpResponse& response, absl::string_view what) const {
  const std::string where = absl::StrCat(what, " from ", registry_, "/", repository_, " (HTTP ",
                                         response.status, " from ", response.url, ")");
  switch (response.status) {
    case 401:
      return absl::UnauthenticatedError(absl::StrCat("authentication failed fetching ", where));
    case 403:
      return absl::PermissionDeniedError(absl::StrCat("access denied fetching ", where));
    case 404:
      return absl::NotFoundError(absl::StrCat("not found: ", where));
    default:
      return absl::UnavailableError(absl::StrCat("registry error fetching ", where));
  }
}

absl::StatusOr<FetchedManifest> RegistryClient::GetManifest(const std::string& tag_or_digest) {
  const std::string path = absl::StrCat("/v2/", repository_, "/manifests/", tag_or_digest);
  size_t endpoint_count = 0;
  {
    absl::MutexLock lock(&mu_);
    endpoint_count = endpoints_.size();
  }
  absl::Status last_error;
  for (size_t i = 0; i < endpoint_count; ++i) {
    absl::StatusOr<HttpResponse> response = Get(i, path, {ManifestAcceptHeader()}, nullptr);
    if (response.ok() && response->status == 200) {
      FetchedManifest manifest;
      manifest.body = std::move(response->body);
      manifest.media_type = response->headers["content-type"];
      manifest.digest = Sha256Digest(manifest.body);
      if (IsValidDigest(tag_or_digest) && manifest.digest != tag_or_digest) {
        last_error = absl::DataLossError(absl::StrCat("manifest from ", response->url, " has digest ",
                                                      manifest.digest, ", expected ", tag_or_digest));
        continue;
      }
      absl::MutexLock lock(&mu_);
      preferred_ = i;
      return manifest;
    }
    last_error = response.ok() ? StatusFromResponse(*response, absl::StrCat("manifest ", tag_or_digest))
                               : response.status();
    if (i + 1 < endpoint_count) {
      spdlog::info("mirror {} could not serve {}/{}:{} ({}); trying the next endpoint", EndpointAt(i).base,
                   registry_, repository_, tag_or_digest, last_error.message());
    }
  }
  return last_error;
}

absl::Status RegistryClient::FetchBlob(const Descriptor& blob, ContentStore::Writer& writer) {
  const std::string path = absl::StrCat("/v2/", repository_, "/blobs/", blob.digest);
  std::vector<size_t> order;
  {
    absl::MutexLock lock(&mu_);
    order.push_back(preferred_);
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      if (i != preferred_) order.push_back(i);
    }
  }
  const BodySink sink = [&writer](const char* data, size_t size) { return writer.Append(data, size); };
  absl::Status last_error;
  for (size_t index : order) {
    if (absl::Status s = writer.Restart(); !s.ok()) return s;
    absl::StatusOr<HttpResponse> response = Get(index, path, {}, sink);
    if (response.ok() && response->status == 200) return writer.Commit();
    last_error = response.ok() ? StatusFromResponse(*response, absl::StrCat("blob ", blob.digest))
                               : response.status();
  }
  return last_error;
}

}  // namespace cloison::image
