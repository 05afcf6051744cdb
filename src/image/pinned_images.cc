#include "cloison/image/pinned_images.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cloison::image {

absl::StatusOr<PinnedImages> PinnedImages::FromConfig(const std::vector<std::string>& entries) {
  PinnedImages pinned;
  for (const std::string& entry : entries) {
    absl::StatusOr<config::PinnedImagePattern> pattern = config::ParsePinnedImagePattern(entry);
    if (!pattern.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("image.pinned_images: ", pattern.status().message()));
    }
    pinned.patterns_.push_back(*std::move(pattern));
  }
  return pinned;
}

bool PinnedImages::Matches(absl::string_view name) const {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const config::PinnedImagePattern& pattern : patterns_) {
    switch (pattern.form) {
      case config::PinnedImagePattern::Form::kExact:
        if (lower == pattern.text) return true;
        break;
      case config::PinnedImagePattern::Form::kPrefix:
        if (absl::StartsWith(lower, pattern.text)) return true;
        break;
      case config::PinnedImagePattern::Form::kKeyword:
        if (absl::StrContains(lower, pattern.text)) return true;
        break;
    }
  }
  return false;
}

bool PinnedImages::IsPinned(const ImageRecord& record) const {
  for (const std::vector<std::string>* names : {&record.repo_tags, &record.repo_digests}) {
    for (const std::string& name : *names) {
      if (Matches(name)) return true;
    }
  }
  return false;
}

}  // namespace cloison::image
