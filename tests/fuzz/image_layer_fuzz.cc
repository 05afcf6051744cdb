// Layer tarballs: the bytes, as an uncompressed tar stream (gzip and zstd input is skipped: the
// decoders are libarchive's, and a small compressed input can expand to gigabytes), are unpacked
// into a fresh directory under /tmp next to an empty sentinel directory. Nothing may throw, and
// nothing may appear outside the unpack root: the sentinel stays empty and the base directory
// holds only the blob, the root and the sentinel. The base is removed after each input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "cloison/image/layer_unpack.h"

namespace cloison::image {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

bool IsCompressed(absl::string_view input) {
  return absl::StartsWith(input, "\x1f\x8b") || absl::StartsWith(input, "\x28\xb5\x2f\xfd");
}

void FuzzOne(absl::string_view input) {
  if (IsCompressed(input)) return;
  const fs::path base = fs::path("/tmp") / ("cloison-fuzz-layer-" + std::to_string(getpid()));
  std::error_code error;
  fs::remove_all(base, error);
  if (error || !fs::create_directories(base / "root", error) || !fs::create_directories(base / "outside", error)) {
    std::fprintf(stderr, "cannot prepare %s: %s\n", base.c_str(), error.message().c_str());
    std::abort();
  }
  const fs::path blob = base / "layer.tar";
  std::ofstream(blob, std::ios::binary).write(input.data(), static_cast<std::streamsize>(input.size()));

  (void)UnpackLayer(blob.string(), (base / "root").string());

  if (Names(base) != std::set<std::string>{"layer.tar", "outside", "root"} || !Names(base / "outside").empty()) {
    std::fprintf(stderr, "an entry escaped the unpack root into %s\n", base.c_str());
    std::abort();
  }
  fs::remove_all(base, error);
}

}  // namespace
}  // namespace cloison::image

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cloison::image::FuzzOne(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
