// Unpacks an OCI/Docker image layer blob (tar, optionally gzip or zstd compressed) into a
// directory ready to serve as an overlayfs layer. The archive is untrusted: no entry creates
// or changes anything outside the directory (layer_writer.h), OCI whiteouts become overlayfs
// whiteouts, and no entry sets a trusted.* xattr (overlayfs would obey trusted.overlay.*
// ones: redirects, metacopy, opaque directories); other xattrs (security.capability, ACLs,
// user.*) are applied.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace cloison::image {

struct UnpackStats {
  uint64_t entries = 0;  // archive entries read, whiteouts and skipped ones included
  uint64_t bytes = 0;    // regular-file bytes written
  // trusted.* xattr records left out (one warning per layer names the first); a pax header may
  // carry one xattr twice (SCHILY.xattr and LIBARCHIVE.xattr).
  uint64_t skipped_xattrs = 0;
};

// Streams the blob at `blob_path` (compression detected from its content, nothing
// decompressed to disk) into `target_dir`, which must exist and be empty. Entry paths are
// cleaned lexically (leading '/' dropped, ".." clamped at the top) and resolved inside
// `target_dir`; symlink targets are stored verbatim. On error the directory is left half
// written for the caller to discard.
absl::StatusOr<UnpackStats> UnpackLayer(const std::string& blob_path, const std::string& target_dir);

}  // namespace cloison::image
