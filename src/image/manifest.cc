#include "cloison/image/manifest.h"

#include <sys/utsname.h>

#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cloison/image/reference.h"
#include "cloison/util/json_fields.h"
#include "nlohmann/json.hpp"

namespace cloison::image {
namespace {

using nlohmann::json;

absl::StatusOr<json> ParseObject(absl::string_view body, absl::string_view what) {
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (!doc.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, " is not a JSON object"));
  return doc;
}

// Reads the optional string field `key` of `object` into `out` ("" when missing).
absl::Status ReadString(const json& object, absl::string_view key, absl::string_view where, std::string& out) {
  absl::StatusOr<std::string> text = util::StringField(object, key, where);
  if (!text.ok()) return text.status();
  out = *std::move(text);
  return absl::OkStatus();
}

absl::StatusOr<Descriptor> ParseDescriptor(const json& value, absl::string_view what) {
  if (!value.is_object() || !value.contains("digest") || !value["digest"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": descriptor without a digest"));
  }
  Descriptor descriptor;
  descriptor.digest = value["digest"].get<std::string>();
  if (absl::Status s = ReadString(value, "mediaType", what, descriptor.media_type); !s.ok()) return s;
  // REQUIRED by the OCI image spec and Docker schema 2: the only bound on what the registry
  // may then send (the content store refuses a blob longer than its descriptor's size).
  if (auto size_field = value.find("size"); size_field == value.end() || size_field->is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"size\" is missing"));
  }
  absl::StatusOr<int64_t> size = util::IntegerField(value, "size", what);
  if (!size.ok()) return size.status();
  if (*size < 0) return absl::InvalidArgumentError(absl::StrCat(what, ": \"size\" must not be negative: ", *size));
  descriptor.size = *size;
  if (auto platform = value.find("platform"); platform != value.end() && platform->is_object()) {
    const std::string where = absl::StrCat(what, " platform");
    Platform& p = descriptor.platform;
    for (const absl::Status& s : {ReadString(*platform, "os", where, p.os),
                                  ReadString(*platform, "architecture", where, p.architecture),
                                  ReadString(*platform, "variant", where, p.variant)}) {
      if (!s.ok()) return s;
    }
  }
  return descriptor;
}

std::string PlatformString(const Platform& p) {
  return p.variant.empty() ? absl::StrCat(p.os, "/", p.architecture)
                           : absl::StrCat(p.os, "/", p.architecture, "/", p.variant);
}

// The index entry picked for this node, if its digest can be checked against the manifest the
// registry then serves (which GetManifest does only for a sha256 digest).
absl::StatusOr<Descriptor> Chosen(const Descriptor& entry) {
  if (!IsValidDigest(entry.digest)) {
    return absl::InvalidArgumentError(
        absl::StrCat("index entry for ", PlatformString(entry.platform), ": digest \"", entry.digest,
                     "\" is not sha256:<64 lowercase hex>"));
  }
  return entry;
}

}  // namespace

std::string ManifestAcceptHeader() {
  return absl::StrCat("Accept: ", kOciIndex, ", ", kOciManifest, ", ", kDockerManifestList, ", ",
                      kDockerManifest);
}

absl::StatusOr<ManifestKind> ClassifyManifest(absl::string_view content_type, absl::string_view body) {
  std::string type(absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
  if (type.empty() || type == "application/json" || type == "text/plain") {
    absl::StatusOr<json> doc = ParseObject(body, "manifest");
    if (!doc.ok()) return doc.status();
    if (absl::Status s = ReadString(*doc, "mediaType", "manifest", type); !s.ok()) return s;
    if (type.empty()) type = doc->contains("manifests") ? kOciIndex : kOciManifest;
  }
  if (type == kOciIndex || type == kDockerManifestList) return ManifestKind::kIndex;
  if (type == kOciManifest || type == kDockerManifest) return ManifestKind::kImage;
  return absl::FailedPreconditionError(absl::StrCat("unsupported manifest media type \"", type,
                                                    "\" (schema 1 and artifacts are not pulled)"));
}

absl::StatusOr<ImageManifest> ParseImageManifest(absl::string_view body) {
  absl::StatusOr<json> doc = ParseObject(body, "image manifest");
  if (!doc.ok()) return doc.status();
  ImageManifest manifest;
  absl::StatusOr<Descriptor> config = ParseDescriptor(doc->value("config", json()), "manifest config");
  if (!config.ok()) return config.status();
  if (config->size > kMaxImageConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat("manifest config: \"size\" ", config->size,
                                                   " is over the ", kMaxImageConfigBytes,
                                                   " bytes an image config may have"));
  }
  manifest.config = *config;
  const json layers = doc->value("layers", json::array());
  if (!layers.is_array()) return absl::InvalidArgumentError("image manifest: layers is not an array");
  for (const json& layer : layers) {
    absl::StatusOr<Descriptor> descriptor = ParseDescriptor(layer, "manifest layer");
    if (!descriptor.ok()) return descriptor.status();
    manifest.layers.push_back(*descriptor);
  }
  return manifest;
}

absl::StatusOr<std::vector<Descriptor>> ParseIndex(absl::string_view body) {
  absl::StatusOr<json> doc = ParseObject(body, "image index");
  if (!doc.ok()) return doc.status();
  const json manifests = doc->value("manifests", json());
  if (!manifests.is_array()) return absl::InvalidArgumentError("image index: manifests is not an array");
  std::vector<Descriptor> entries;
  for (const json& entry : manifests) {
    absl::StatusOr<Descriptor> descriptor = ParseDescriptor(entry, "index entry");
    if (!descriptor.ok()) return descriptor.status();
    entries.push_back(*descriptor);
  }
  return entries;
}

int64_t ImageSize(const ImageManifest& manifest) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = manifest.config.size;
  for (const Descriptor& layer : manifest.layers) {
    total = layer.size > kMax - total ? kMax : total + layer.size;
  }
  return total;
}

Platform HostPlatform() {
  utsname name{};
  uname(&name);
  const std::string machine = name.machine;
  if (machine == "x86_64") return {"linux", "amd64", ""};
  if (machine == "aarch64") return {"linux", "arm64", "v8"};
  if (machine == "armv7l") return {"linux", "arm", "v7"};
  if (machine == "i686" || machine == "i386") return {"linux", "386", ""};
  return {"linux", machine, ""};
}

absl::StatusOr<Descriptor> SelectPlatform(const std::vector<Descriptor>& entries, const Platform& want) {
  const Descriptor* fallback = nullptr;
  for (const Descriptor& entry : entries) {
    const Platform& p = entry.platform;
    if (p.os != want.os || p.architecture != want.architecture) continue;
    if (p.variant == want.variant) return Chosen(entry);
    const bool compatible = p.variant.empty() || (want.architecture == "arm64" && p.variant == "v8");
    if (compatible && fallback == nullptr) fallback = &entry;
  }
  if (fallback != nullptr) return Chosen(*fallback);
  std::vector<std::string> offered;
  for (const Descriptor& entry : entries) offered.push_back(PlatformString(entry.platform));
  return absl::NotFoundError(absl::StrCat("no image for platform ", PlatformString(want),
                                          " in the index (it offers: ", absl::StrJoin(offered, ", "), ")"));
}

bool IsSupportedLayerType(absl::string_view media_type) {
  return media_type == "application/vnd.oci.image.layer.v1.tar" ||
         media_type == "application/vnd.oci.image.layer.v1.tar+gzip" ||
         media_type == "application/vnd.oci.image.layer.v1.tar+zstd" ||
         media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
         media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         media_type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}

}  // namespace cloison::image
