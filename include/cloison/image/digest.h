// SHA-256 content digests in the OCI form "sha256:<64 lowercase hex>", computed incrementally
// so blobs are hashed while they stream.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace cloison::image {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  // "sha256:<hex>" of everything passed to Update. Call once.
  std::string Finish();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context_;
};

std::string Sha256Digest(absl::string_view data);

// The hex part of a "sha256:<hex>" digest (the caller validated it).
inline std::string DigestHex(absl::string_view digest) {
  return std::string(digest.substr(digest.find(':') + 1));
}

}  // namespace cloison::image
