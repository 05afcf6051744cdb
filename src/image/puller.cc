#include "cloison/image/puller.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloison/image/manifest.h"
#include "cloison/image/registry_client.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/logging.h"
#include "nlohmann/json.hpp"

namespace cloison::image {
namespace {

// Threads fetching and unpacking one pull's layers (downloads are bounded further, across pulls,
// by max_concurrent_downloads). A manifest may list a hundred thousand layers: a thread for
// each would run into the thread limit, and std::thread throws there, ending cloisond.
constexpr size_t kMaxLayerWorkers = 16;

config::RegistryConfig RegistrySettings(const config::ImageConfig& config, const std::string& registry) {
  auto it = config.registries.find(registry);
  return it == config.registries.end() ? config::RegistryConfig{} : it->second;
}

}  // namespace

Puller::Puller(ContentStore& content, LayerStore& layers, config::ImageConfig config)
    : content_(content), layers_(layers), config_(std::move(config)), downloads_(config_.max_concurrent_downloads) {}

absl::Status Puller::OwnOrShared(const std::string& key, const std::function<absl::Status()>& work) {
  for (;;) {
    bool ran_here = false;
    absl::Status status = flights_.Do(key, [&] {
      ran_here = true;
      return work();
    });
    if (status.ok() || ran_here) return status;
  }
}

absl::Status Puller::FetchBlobOnce(RegistryClient& client, const Descriptor& blob, const ClaimDigest& claim) {
  claim(blob.digest);
  return OwnOrShared(blob.digest, [&]() -> absl::Status {
    if (content_.Has(blob.digest)) return absl::OkStatus();
    util::SemaphoreGuard permit(downloads_);
    absl::StatusOr<std::unique_ptr<ContentStore::Writer>> writer = content_.NewWriter(blob.digest, blob.size);
    if (!writer.ok()) return writer.status();
    return client.FetchBlob(blob, **writer);
  });
}

absl::Status Puller::EnsureLayer(RegistryClient& client, const Descriptor& layer, const ClaimDigest& claim) {
  if (!IsSupportedLayerType(layer.media_type)) {
    return absl::FailedPreconditionError(
        absl::StrCat("layer ", layer.digest, " has unsupported media type \"", layer.media_type, "\""));
  }
  claim(layer.digest);
  return OwnOrShared(absl::StrCat("unpack:", layer.digest), [&]() -> absl::Status {
    if (layers_.Has(layer.digest)) return absl::OkStatus();
    if (absl::Status s = FetchBlobOnce(client, layer, claim); !s.ok()) return s;
    return layers_.Unpack(layer.digest, content_.BlobPath(layer.digest));
  });
}

absl::StatusOr<ImageRecord> Puller::Pull(const Reference& reference, const Credentials& credentials,
                                         const ClaimDigest& claim) {
  RegistryClient client(reference.registry, reference.repository,
                        RegistrySettings(config_, reference.registry), credentials);
  absl::StatusOr<FetchedManifest> top =
      client.GetManifest(reference.digest.empty() ? reference.tag : reference.digest);
  if (!top.ok()) return top.status();
  absl::StatusOr<ManifestKind> kind = ClassifyManifest(top->media_type, top->body);
  if (!kind.ok()) return kind.status();
  claim(top->digest);
  if (absl::Status s = content_.Put(top->digest, top->body); !s.ok()) return s;

  FetchedManifest image_manifest = *top;
  if (*kind == ManifestKind::kIndex) {
    absl::StatusOr<std::vector<Descriptor>> entries = ParseIndex(top->body);
    if (!entries.ok()) return entries.status();
    absl::StatusOr<Descriptor> chosen = SelectPlatform(*entries, HostPlatform());
    if (!chosen.ok()) return chosen.status();
    absl::StatusOr<FetchedManifest> platform_manifest = client.GetManifest(chosen->digest);
    if (!platform_manifest.ok()) return platform_manifest.status();
    absl::StatusOr<ManifestKind> platform_kind =
        ClassifyManifest(platform_manifest->media_type, platform_manifest->body);
    if (!platform_kind.ok()) return platform_kind.status();
    if (*platform_kind != ManifestKind::kImage) {
      return absl::FailedPreconditionError(absl::StrCat("index entry ", chosen->digest, " is not an image manifest"));
    }
    claim(platform_manifest->digest);
    if (absl::Status s = content_.Put(platform_manifest->digest, platform_manifest->body); !s.ok()) return s;
    image_manifest = *platform_manifest;
  }
  absl::StatusOr<ImageManifest> manifest = ParseImageManifest(image_manifest.body);
  if (!manifest.ok()) return manifest.status();

  if (absl::Status s = FetchBlobOnce(client, manifest->config, claim); !s.ok()) return s;
  std::vector<absl::Status> results(manifest->layers.size());
  {
    std::atomic<size_t> next_layer{0};
    std::vector<std::jthread> workers;
    for (size_t i = 0; i < std::min(manifest->layers.size(), kMaxLayerWorkers); ++i) {
      workers.emplace_back([&] {
        for (size_t layer = next_layer++; layer < manifest->layers.size(); layer = next_layer++) {
          results[layer] = EnsureLayer(client, manifest->layers[layer], claim);
        }
      });
    }
  }
  for (const absl::Status& result : results) {
    if (!result.ok()) return result;
  }

  ImageRecord record;
  record.id = manifest->config.digest;
  record.manifest_digest = image_manifest.digest;
  record.size = ImageSize(*manifest);
  for (const Descriptor& layer : manifest->layers) record.layers.push_back({layer.digest, layer.media_type, layer.size});
  if (!reference.tag.empty()) record.repo_tags.push_back(reference.TaggedString());
  record.repo_digests.push_back(absl::StrCat(reference.Name(), "@", top->digest));
  absl::StatusOr<std::string> config_json = content_.Read(manifest->config.digest, kMaxImageConfigBytes);
  if (!config_json.ok()) return config_json.status();
  if (absl::Status s = UserFromImageConfig(*config_json, record); !s.ok()) return s;
  spdlog::info("pulled {} as image {}", reference.String(), record.id);
  return record;
}

absl::Status UserFromImageConfig(absl::string_view config_json, ImageRecord& record) {
  const nlohmann::json doc = nlohmann::json::parse(config_json.begin(), config_json.end(), nullptr, false);
  if (!doc.is_object()) return absl::OkStatus();
  const auto inner = doc.find("config");
  if (inner == doc.end() || !inner->is_object()) return absl::OkStatus();
  absl::StatusOr<std::string> user = util::StringField(*inner, "User", "image config");
  if (!user.ok()) return user.status();
  const std::string name = user->substr(0, user->find(':'));
  int64_t uid = 0;
  if (name.empty()) return absl::OkStatus();
  if (absl::SimpleAtoi(name, &uid)) {
    record.uid = uid;
  } else {
    record.username = name;
  }
  return absl::OkStatus();
}

}  // namespace cloison::image
