// The image service's logic: pulls (short names through the search registries), lookups by
// id, tag or digest, removal with garbage collection of blobs and layers no image needs, and
// the store's filesystem usage (measured again only after the store changed). Persistent
// under <root>/images. Thread-safe. A pull claims each blob and layer it uses before looking
// for it: garbage collection skips what pulls under way claim (so it never waits for a pull),
// and a pull, when it ends, collects what it claimed that no image uses (a failed pull's
// downloads, which a retry fetches again; layers its image id, already stored with others,
// does not use). Containers hold the image they use (FindAndHold at
// CreateContainer, Release at RemoveContainer): Remove refuses an image while it is held,
// decided under the same lock as the lookup, so no container is ever made on a removed image.
// IsPinned applies [image] pinned_images (pinned_images.h), which SetPinnedImages replaces
// (SIGHUP).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloison/config/config.h"
#include "cloison/image/content_store.h"
#include "cloison/image/image_store.h"
#include "cloison/image/layer_store.h"
#include "cloison/image/pinned_images.h"
#include "cloison/image/puller.h"
#include "cloison/image/registry_auth.h"
#include "cloison/image/store_usage.h"

namespace cloison::image {

class ImageManager {
 public:
  // `images_dir` is <root>/images.
  ImageManager(std::string images_dir, config::ImageConfig config);

  // Loads the records, removes leftovers of interrupted pulls and unreferenced content, and
  // reads the pinned image patterns (INVALID_ARGUMENT for one that is not a pattern).
  absl::Status Start();

  // Returns the pulled image's record. INVALID_ARGUMENT for a malformed name; the registry
  // errors of the last candidate otherwise.
  absl::StatusOr<ImageRecord> Pull(const std::string& image, const Credentials& credentials);

  // Finds by id ("sha256:<hex>" or the bare hex), "name:tag", "name@digest" or a short name.
  // NOT_FOUND when no image matches.
  absl::StatusOr<ImageRecord> Find(const std::string& image) const;
  std::vector<ImageRecord> List() const;

  // By id: the image goes. By tag: only the tag goes while the image has other tags; the
  // image goes with its last one. FAILED_PRECONDITION, naming the image, while it is held.
  absl::Status Remove(const std::string& image);

  // Find, and one hold on the image found, in one step: from then on Remove refuses it until
  // the hold is released. NOT_FOUND as Find.
  absl::StatusOr<ImageRecord> FindAndHold(const std::string& image);
  // One hold on image `id`, stored or not (recovery: the containers that exist already).
  void Hold(const std::string& id);
  // Releases one hold taken by FindAndHold or Hold.
  void Release(const std::string& id);

  // Whether `record` is pinned: kubelet's image garbage collection must keep it.
  bool IsPinned(const ImageRecord& record) const;
  // Replaces the pinned image patterns ([image] pinned_images); INVALID_ARGUMENT for an entry
  // that is not a pattern, and the patterns in use stay.
  absl::Status SetPinnedImages(const std::vector<std::string>& patterns);

  // The image config JSON (for CreateContainer and verbose ImageStatus). FAILED_PRECONDITION
  // for a config over kMaxImageConfigBytes (pulled before configs were bounded).
  absl::StatusOr<std::string> ReadConfig(const ImageRecord& record) const;
  std::string LayerDir(const std::string& digest) const { return layers_.LayerDir(digest); }

  StoreUsage Usage() const { return usage_.Get(); }

 private:
  // Pull of one candidate, its claims released (and what no image uses of them collected) on
  // return.
  absl::StatusOr<ImageRecord> PullCandidate(const Reference& candidate, const Credentials& credentials);
  const ImageRecord* FindLocked(const std::string& image) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::Status SaveMerged(ImageRecord pulled) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes image `id`'s record and collects what no image needs any more. (`id` by value: a
  // reference into the record would dangle once it is deleted.)
  absl::Status DeleteLocked(std::string id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes every stored blob and layer that no record uses and no pull claims.
  absl::Status CollectGarbage() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the blob and the layer of each of `digests` that no record uses and no pull claims.
  absl::Status CollectUnused(const std::vector<std::string>& digests) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string dir_;
  config::ImageConfig config_;
  ContentStore content_;
  LayerStore layers_;
  Puller puller_;
  mutable absl::Mutex pinned_mu_;
  PinnedImages pinned_ ABSL_GUARDED_BY(pinned_mu_);

  mutable absl::Mutex mu_;
  ImageStore store_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> holds_ ABSL_GUARDED_BY(mu_);    // image id -> holds
  std::map<std::string, int> claims_ ABSL_GUARDED_BY(mu_);   // digest -> claims of pulls under way
  mutable StoreUsageCache usage_;
};

}  // namespace cloison::image
