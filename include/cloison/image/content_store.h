// Verified blob storage: <dir>/blobs/sha256/<hex>. A blob is streamed into a temporary file
// under <dir>/ingest, hashed as it arrives, fsync'd, and renamed into place only when its
// digest and size match; otherwise nothing is kept. A blob longer than its size is cut off as
// it arrives, so a registry cannot write more than the manifest declared. Start() removes
// ingest leftovers of an earlier crash. Safe to use from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/image/digest.h"
#include "cloison/util/unique_fd.h"

namespace cloison::image {

class ContentStore {
 public:
  explicit ContentStore(std::string dir);

  absl::Status Start();

  // One blob being written. Destroying it without Commit() discards the data.
  class Writer {
   public:
    ~Writer();
    absl::Status Append(const char* data, size_t size);
    // Checks digest and size, makes the blob durable and visible. DATA_LOSS on a mismatch.
    absl::Status Commit();
    uint64_t written() const { return written_; }
    // Forgets the data written so far (a download restarting on another endpoint).
    absl::Status Restart();

   private:
    friend class ContentStore;
    Writer(const ContentStore& store, std::string digest, uint64_t expected_size,
           std::string temp_path, util::UniqueFd fd);

    const ContentStore& store_;
    std::string digest_;
    uint64_t expected_size_;
    std::string temp_path_;
    util::UniqueFd fd_;
    Sha256 hasher_;
    uint64_t written_ = 0;
    bool committed_ = false;
  };

  // `expected_size`: the blob's length (its descriptor's size). INVALID_ARGUMENT for a
  // malformed digest or a negative size.
  absl::StatusOr<std::unique_ptr<Writer>> NewWriter(const std::string& digest, int64_t expected_size);
  // Stores small content in one go (manifests, configs); verifies the digest.
  absl::Status Put(const std::string& digest, absl::string_view content);

  bool Has(const std::string& digest) const;
  std::string BlobPath(const std::string& digest) const;
  // The whole blob, which must be at most `max_bytes` long: FAILED_PRECONDITION naming the
  // blob otherwise (a config stored before configs were bounded); NOT_FOUND when it is absent.
  absl::StatusOr<std::string> Read(const std::string& digest, int64_t max_bytes) const;
  absl::Status Delete(const std::string& digest);
  // Digests of every stored blob.
  std::vector<std::string> List() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace cloison::image
