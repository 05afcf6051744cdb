// Unpacked layers, one read-only directory per layer blob under <dir>/<hex>/, shared by every
// image that uses the layer and ready to stack as an overlayfs lower directory. A layer is
// unpacked into a temporary directory and renamed into place when complete; Start() removes
// the temporary leftovers of an earlier crash.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cloison::image {

class LayerStore {
 public:
  explicit LayerStore(std::string dir);

  absl::Status Start();
  bool Has(const std::string& digest) const;
  // The directory holding the layer's files (exists once Unpack succeeded).
  std::string LayerDir(const std::string& digest) const;
  // Unpacks the layer blob at `blob_path` (verified to have `digest`) unless already present.
  absl::Status Unpack(const std::string& digest, const std::string& blob_path);
  absl::Status Delete(const std::string& digest);
  std::vector<std::string> List() const;

 private:
  std::string dir_;
};

}  // namespace cloison::image
