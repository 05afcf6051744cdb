// Registry answers and image content read as JSON: the bytes go through ClassifyManifest (with
// no Content-Type, and with the input's first line as one), ParseImageManifest, ParseIndex and
// SelectPlatform, UserFromImageConfig and TokenFromAnswer. Nothing may throw; a parsed manifest
// has a size of at least 0 and a chosen index entry a sha256 digest.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cloison/image/image_store.h"
#include "cloison/image/manifest.h"
#include "cloison/image/puller.h"
#include "cloison/image/reference.h"
#include "cloison/image/registry_auth.h"

namespace cloison::image {
namespace {

void CheckIndex(absl::string_view body) {
  absl::StatusOr<std::vector<Descriptor>> entries = ParseIndex(body);
  if (!entries.ok()) return;
  for (const Platform& want : {HostPlatform(), Platform{"linux", "arm64", "v8"}, Platform{"linux", "arm", "v7"}}) {
    absl::StatusOr<Descriptor> chosen = SelectPlatform(*entries, want);
    if (chosen.ok() && !IsValidDigest(chosen->digest)) std::abort();
  }
}

void CheckImageManifest(absl::string_view body) {
  absl::StatusOr<ImageManifest> manifest = ParseImageManifest(body);
  if (manifest.ok() && ImageSize(*manifest) < 0) std::abort();
}

void FuzzOne(absl::string_view input) {
  (void)ClassifyManifest("", input);
  if (const size_t newline = input.find('\n'); newline != absl::string_view::npos) {
    (void)ClassifyManifest(input.substr(0, newline), input.substr(newline + 1));
  }
  CheckImageManifest(input);
  CheckIndex(input);
  ImageRecord record;
  (void)UserFromImageConfig(input, record);
  (void)TokenFromAnswer(input);
}

}  // namespace
}  // namespace cloison::image

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cloison::image::FuzzOne(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
