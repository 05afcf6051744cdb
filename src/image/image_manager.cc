#include "cloison/image/image_manager.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/image/manifest.h"
#include "cloison/image/reference.h"
#include "cloison/util/logging.h"

namespace cloison::image {
namespace {

void EraseValue(std::vector<std::string>& items, const std::string& value) {
  items.erase(std::remove(items.begin(), items.end(), value), items.end());
}

void AddUnique(std::vector<std::string>& items, const std::string& value) {
  if (std::find(items.begin(), items.end(), value) == items.end()) items.push_back(value);
}

// "sha256:<hex>" or "<64 hex>" -> "sha256:<hex>"; nullopt otherwise.
std::optional<std::string> AsImageId(const std::string& text) {
  if (IsValidDigest(text)) return text;
  const std::string prefixed = absl::StrCat("sha256:", text);
  if (IsValidDigest(prefixed)) return prefixed;
  return std::nullopt;
}

// When removing `image` only untags `record`: the tag `image` names, if it is one of the
// record's several tags.
std::optional<std::string> TagToDrop(const std::string& image, const ImageRecord& record,
                                     const std::vector<std::string>& search_registries) {
  if (AsImageId(image) || record.repo_tags.size() <= 1) return std::nullopt;
  absl::StatusOr<std::vector<Reference>> candidates = ResolveName(image, search_registries);
  for (const Reference& candidate : candidates.ok() ? *candidates : std::vector<Reference>{}) {
    const std::string tag = candidate.TaggedString();
    if (std::find(record.repo_tags.begin(), record.repo_tags.end(), tag) != record.repo_tags.end()) return tag;
  }
  return std::nullopt;
}

}  // namespace

ImageManager::ImageManager(std::string images_dir, config::ImageConfig config)
    : dir_(std::move(images_dir)),
      config_(std::move(config)),
      content_(dir_ + "/content"),
      layers_(dir_ + "/layers"),
      puller_(content_, layers_, config_),
      store_(dir_ + "/records"),
      usage_([dir = dir_] { return MeasureStoreUsage(dir); }) {}

absl::Status ImageManager::Start() {
  if (absl::Status s = SetPinnedImages(config_.pinned_images); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  StoreUsageCache::Change change(usage_);
  for (absl::Status s : {content_.Start(), layers_.Start(), store_.Load()}) {
    if (!s.ok()) return s;
  }
  return CollectGarbage();
}

bool ImageManager::IsPinned(const ImageRecord& record) const {
  absl::ReaderMutexLock lock(&pinned_mu_);
  return pinned_.IsPinned(record);
}

absl::Status ImageManager::SetPinnedImages(const std::vector<std::string>& patterns) {
  absl::StatusOr<PinnedImages> pinned = PinnedImages::FromConfig(patterns);
  if (!pinned.ok()) return pinned.status();
  absl::MutexLock lock(&pinned_mu_);
  pinned_ = *std::move(pinned);
  return absl::OkStatus();
}

absl::StatusOr<ImageRecord> ImageManager::Pull(const std::string& image, const Credentials& credentials) {
  absl::StatusOr<std::vector<Reference>> candidates = ResolveName(image, config_.search_registries);
  if (!candidates.ok()) return candidates.status();
  StoreUsageCache::Change change(usage_);
  absl::Status last_error;
  for (const Reference& candidate : *candidates) {
    absl::StatusOr<ImageRecord> pulled = PullCandidate(candidate, credentials);
    if (pulled.ok()) return pulled;
    last_error = pulled.status();
    // A short name goes on to the next search registry when this one lacks the image.
    if (!absl::IsNotFound(last_error) && !absl::IsUnauthenticated(last_error)) break;
  }
  return last_error;
}

absl::StatusOr<ImageRecord> ImageManager::PullCandidate(const Reference& candidate, const Credentials& credentials) {
  std::vector<std::string> claimed;  // this pull's claims, in claims_ too; under mu_
  const auto claim = [&](const std::string& digest) {
    absl::MutexLock lock(&mu_);
    ++claims_[digest];
    claimed.push_back(digest);
  };
  absl::StatusOr<ImageRecord> pulled = puller_.Pull(candidate, credentials, claim);
  absl::MutexLock lock(&mu_);
  if (pulled.ok()) {
    if (absl::Status s = SaveMerged(*pulled); !s.ok()) pulled = s;
  }
  if (pulled.ok()) pulled = *store_.FindById(pulled->id);
  for (const std::string& digest : claimed) {
    if (auto it = claims_.find(digest); --it->second == 0) claims_.erase(it);
  }
  if (absl::Status s = CollectUnused(claimed); !s.ok()) {
    spdlog::warn("collecting what the pull of {} left unused: {}", candidate.String(), s.message());
  }
  return pulled;
}

absl::Status ImageManager::SaveMerged(ImageRecord pulled) {
  // A tag names one image: the previous holder of each tag loses it.
  for (const ImageRecord& other : store_.List()) {
    if (other.id == pulled.id) continue;
    ImageRecord updated = other;
    for (const std::string& tag : pulled.repo_tags) EraseValue(updated.repo_tags, tag);
    if (updated.repo_tags != other.repo_tags) {
      if (absl::Status s = store_.Save(updated); !s.ok()) return s;
    }
  }
  if (const ImageRecord* existing = store_.FindById(pulled.id)) {
    ImageRecord merged = *existing;
    for (const std::string& tag : pulled.repo_tags) AddUnique(merged.repo_tags, tag);
    for (const std::string& digest : pulled.repo_digests) AddUnique(merged.repo_digests, digest);
    return store_.Save(merged);
  }
  return store_.Save(pulled);
}

const ImageRecord* ImageManager::FindLocked(const std::string& image) const {
  if (std::optional<std::string> id = AsImageId(image)) {
    if (const ImageRecord* record = store_.FindById(*id)) return record;
  }
  absl::StatusOr<std::vector<Reference>> candidates = ResolveName(image, config_.search_registries);
  if (!candidates.ok()) return nullptr;
  for (const Reference& candidate : *candidates) {
    const std::string name = candidate.digest.empty() ? candidate.TaggedString() : candidate.DigestedString();
    if (const ImageRecord* record = store_.FindByName(name)) return record;
  }
  return nullptr;
}

absl::StatusOr<ImageRecord> ImageManager::Find(const std::string& image) const {
  absl::ReaderMutexLock lock(&mu_);
  if (const ImageRecord* record = FindLocked(image)) return *record;
  return absl::NotFoundError(absl::StrCat("image \"", image, "\" not found"));
}

std::vector<ImageRecord> ImageManager::List() const {
  absl::ReaderMutexLock lock(&mu_);
  return store_.List();
}

absl::Status ImageManager::Remove(const std::string& image) {
  absl::MutexLock lock(&mu_);
  const ImageRecord* found = FindLocked(image);
  if (found == nullptr) return absl::NotFoundError(absl::StrCat("image \"", image, "\" not found"));
  if (std::optional<std::string> tag = TagToDrop(image, *found, config_.search_registries)) {
    ImageRecord untagged = *found;
    EraseValue(untagged.repo_tags, *tag);
    StoreUsageCache::Change change(usage_);
    return store_.Save(untagged);
  }
  if (holds_.contains(found->id)) {
    return absl::FailedPreconditionError(absl::StrCat("image ", found->id, " (", image, ") is in use by a container"));
  }
  return DeleteLocked(found->id);
}

absl::StatusOr<ImageRecord> ImageManager::FindAndHold(const std::string& image) {
  absl::MutexLock lock(&mu_);
  const ImageRecord* found = FindLocked(image);
  if (found == nullptr) return absl::NotFoundError(absl::StrCat("image \"", image, "\" not found"));
  ++holds_[found->id];
  return *found;
}

void ImageManager::Hold(const std::string& id) {
  absl::MutexLock lock(&mu_);
  ++holds_[id];
}

void ImageManager::Release(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = holds_.find(id);
  if (it != holds_.end() && --it->second == 0) holds_.erase(it);
}

absl::Status ImageManager::DeleteLocked(std::string id) {
  StoreUsageCache::Change change(usage_);
  if (absl::Status s = store_.Delete(id); !s.ok()) return s;
  spdlog::info("removed image {}", id);
  return CollectGarbage();
}

absl::Status ImageManager::CollectGarbage() {
  std::vector<std::string> stored = content_.List();
  for (std::string& layer : layers_.List()) stored.push_back(std::move(layer));
  return CollectUnused(stored);
}

absl::Status ImageManager::CollectUnused(const std::vector<std::string>& digests) {
  std::set<std::string> blobs_kept;
  std::set<std::string> layers_kept;
  for (const ImageRecord& record : store_.List()) {
    blobs_kept.insert(record.id);
    blobs_kept.insert(record.manifest_digest);
    for (const std::string& repo_digest : record.repo_digests) {
      blobs_kept.insert(repo_digest.substr(repo_digest.rfind('@') + 1));
    }
    for (const LayerRecord& layer : record.layers) {
      blobs_kept.insert(layer.digest);
      layers_kept.insert(layer.digest);
    }
  }
  absl::Status first_error;
  for (const std::string& digest : digests) {
    if (!IsValidDigest(digest) || claims_.contains(digest)) continue;
    if (!blobs_kept.contains(digest)) first_error.Update(content_.Delete(digest));
    if (!layers_kept.contains(digest)) first_error.Update(layers_.Delete(digest));
  }
  return first_error;
}

absl::StatusOr<std::string> ImageManager::ReadConfig(const ImageRecord& record) const {
  return content_.Read(record.id, kMaxImageConfigBytes);
}

}  // namespace cloison::image
