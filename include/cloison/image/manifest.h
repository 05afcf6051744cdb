// OCI and Docker schema 2 manifests: which kind a fetched manifest is, the image manifest's
// config and layers, an index's (or manifest list's) entries, and picking the entry for this
// node's platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::image {

inline constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kDockerManifestList[] = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr char kDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";

// Documents read whole into memory are bounded as containers/image bounds them: a manifest or
// index (MaxManifestBodySize) and an image config (MaxConfigBodySize), 4 MiB each.
inline constexpr int64_t kMaxManifestBytes = 4 << 20;
inline constexpr int64_t kMaxImageConfigBytes = 4 << 20;

// The Accept header value for manifest requests: every kind cloison can use.
std::string ManifestAcceptHeader();

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;  // at least 0 in a parsed manifest or index
  Platform platform;  // index entries only
};

enum class ManifestKind { kIndex, kImage };

// Decides from the Content-Type (falling back to the body's mediaType / shape).
// FAILED_PRECONDITION for schema 1 and other kinds cloison does not pull; INVALID_ARGUMENT when
// the body it reads is not a JSON object or its mediaType is not a string.
absl::StatusOr<ManifestKind> ClassifyManifest(absl::string_view content_type, absl::string_view body);

struct ImageManifest {
  Descriptor config;
  std::vector<Descriptor> layers;
};

// INVALID_ARGUMENT when the body is not a JSON object, a descriptor has no digest or no size
// (the OCI image spec requires both: the size bounds the download), a size is negative, a
// field has the wrong type, or the config is larger than kMaxImageConfigBytes, naming the
// document and the field:
//   manifest layer: "size" must be an integer, not string
//   index entry: "size" is missing
absl::StatusOr<ImageManifest> ParseImageManifest(absl::string_view body);
absl::StatusOr<std::vector<Descriptor>> ParseIndex(absl::string_view body);

// The image's size for its record: config plus layers; saturates at int64's maximum rather
// than overflowing.
int64_t ImageSize(const ImageManifest& manifest);

// The platform this node runs: linux and the architecture from uname (amd64, arm64/v8, ...).
Platform HostPlatform();

// The index entry for `want`: same os and architecture; an exact variant match first, then
// an entry without a variant (and v8 for arm64). NOT_FOUND lists the platforms on offer;
// INVALID_ARGUMENT when the entry picked has no sha256 digest (its manifest could not be verified).
absl::StatusOr<Descriptor> SelectPlatform(const std::vector<Descriptor>& entries, const Platform& want);

// Layer media types cloison unpacks: OCI tar, tar+gzip, tar+zstd and Docker's gzip layers.
bool IsSupportedLayerType(absl::string_view media_type);

}  // namespace cloison::image
