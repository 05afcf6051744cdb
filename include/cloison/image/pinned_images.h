// Which images are pinned ([image] pinned_images): ListImages and ImageStatus report them with
// pinned=true, and kubelet's image garbage collection leaves them alone. As in CRI-O, an image
// is pinned when one of its names (repo tags and repo digests, fully qualified as stored:
// "docker.io/library/busybox:1.36", "127.0.0.1:5000/app@sha256:...") matches a pattern,
// without regard to case; its id is not matched. Pinning does not stop RemoveImage (CRI-O does
// not either): it only tells kubelet's garbage collection to keep the image.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/config/values.h"
#include "cloison/image/image_store.h"

namespace cloison::image {

class PinnedImages {
 public:
  PinnedImages() = default;  // pins nothing

  // From the configured entries; INVALID_ARGUMENT naming image.pinned_images and the entry
  // for one that is not a pattern (the config loader refuses those already).
  static absl::StatusOr<PinnedImages> FromConfig(const std::vector<std::string>& entries);

  bool Matches(absl::string_view name) const;
  bool IsPinned(const ImageRecord& record) const;

 private:
  std::vector<config::PinnedImagePattern> patterns_;
};

}  // namespace cloison::image
