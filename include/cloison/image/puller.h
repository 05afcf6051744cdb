// Pulls one image reference into the content and layer stores: resolves the manifest (an
// index or manifest list to this node's platform), fetches the config, then downloads and
// unpacks the layers in parallel (bounded across all pulls). Every blob is fetched once
// even when several pulls need it at the same time; a pull whose shared fetch (another pull's,
// from that pull's registry, mirrors and credentials) failed fetches again itself, so one
// registry's failure never fails a pull from another. Returns the image's record, which the
// caller stores.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/config/config.h"
#include "cloison/image/content_store.h"
#include "cloison/image/image_store.h"
#include "cloison/image/layer_store.h"
#include "cloison/image/manifest.h"
#include "cloison/image/reference.h"
#include "cloison/image/registry_auth.h"
#include "cloison/util/semaphore.h"
#include "cloison/util/singleflight.h"

namespace cloison::image {

class RegistryClient;

// Called with each digest (manifest, config or layer) a pull is about to look for, store or
// unpack, before it does: the caller keeps that content from garbage collection until the
// pull's record is stored or the pull failed. Called from several threads.
using ClaimDigest = std::function<void(const std::string& digest)>;

class Puller {
 public:
  Puller(ContentStore& content, LayerStore& layers, config::ImageConfig config);

  absl::StatusOr<ImageRecord> Pull(const Reference& reference, const Credentials& credentials,
                                   const ClaimDigest& claim);

 private:
  // Runs `work` under flight `key`, or waits for the run under way there; when that run was
  // another pull's and failed, tries again (until a run of this pull's own ends the wait).
  absl::Status OwnOrShared(const std::string& key, const std::function<absl::Status()>& work);
  absl::Status FetchBlobOnce(RegistryClient& client, const Descriptor& blob, const ClaimDigest& claim);
  absl::Status EnsureLayer(RegistryClient& client, const Descriptor& layer, const ClaimDigest& claim);

  ContentStore& content_;
  LayerStore& layers_;
  config::ImageConfig config_;
  util::Semaphore downloads_;
  util::SingleFlight flights_;
};

// Reads uid or username from an image config's "config.User" ("1000", "app", "1000:1000").
// A config that is not a JSON object, or has no "config" object, leaves the record as it is;
// a "User" that is not a string is INVALID_ARGUMENT naming the field.
absl::Status UserFromImageConfig(absl::string_view config_json, ImageRecord& record);

}  // namespace cloison::image
