// A client for one repository of one registry (OCI distribution spec over HTTP): fetches
// manifests and streams blobs into the content store. It tries the registry's mirrors in
// order, then the registry itself; answers 401 challenges with Basic credentials or a Bearer
// token from the challenge's realm (scope per repository), with the pull's credentials only on
// the endpoints they apply to (Credentials::AppliesTo); reaches loopback and `insecure`
// registries over plain HTTP when HTTPS is not spoken there. Thread-safe: a pull fetches
// several blobs through one client at once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloison/config/config.h"
#include "cloison/image/content_store.h"
#include "cloison/image/http_client.h"
#include "cloison/image/manifest.h"
#include "cloison/image/registry_auth.h"

namespace cloison::image {

struct FetchedManifest {
  std::string media_type;  // the response's Content-Type
  std::string body;
  std::string digest;  // sha256 of body, checked against the requested digest if any
};

class RegistryClient {
 public:
  RegistryClient(const std::string& registry, std::string repository,
                 const config::RegistryConfig& config, Credentials credentials);

  // `tag_or_digest`: "latest" or "sha256:...". NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED,
  // UNAVAILABLE, DATA_LOSS (digest mismatch) with the registry and repository named.
  absl::StatusOr<FetchedManifest> GetManifest(const std::string& tag_or_digest);

  // Streams the blob into `writer` and commits it (verified against `blob.digest`).
  absl::Status FetchBlob(const Descriptor& blob, ContentStore::Writer& writer);

 private:
  struct Endpoint {
    std::string base;  // scheme://host[:port]
    bool plain_http_allowed = false;
    bool send_credentials = false;  // the pull's credentials apply to this host
  };

  absl::StatusOr<HttpResponse> Get(size_t endpoint_index, const std::string& path,
                                   const std::vector<std::string>& extra_headers, const BodySink& sink);
  absl::StatusOr<HttpResponse> GetOnce(const Endpoint& endpoint, const std::string& path,
                                       const std::vector<std::string>& extra_headers, const BodySink& sink);
  absl::Status Authenticate(const Endpoint& endpoint, const HttpResponse& challenge_response);
  absl::Status StatusFromResponse(const HttpResponse& response, absl::string_view what) const;
  Endpoint EndpointAt(size_t index) const;

  std::string registry_;
  std::string repository_;
  int timeout_seconds_;
  std::string ca_file_;
  Credentials credentials_;

  mutable absl::Mutex mu_;
  std::vector<Endpoint> endpoints_ ABSL_GUARDED_BY(mu_);             // mirrors, then the origin
  std::map<std::string, std::string> authorization_ ABSL_GUARDED_BY(mu_);  // by endpoint base
  size_t preferred_ ABSL_GUARDED_BY(mu_) = 0;  // the endpoint that served the manifest
};

}  // namespace cloison::image
