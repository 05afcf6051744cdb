#include "cloison/image/digest.h"

#include <openssl/evp.h>

namespace cloison::image {

Sha256::Sha256() : context_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr);
}

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(context_.get(), data, size); }

std::string Sha256::Finish() {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_.get(), hash, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digest = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    digest.push_back(kHex[hash[i] >> 4]);
    digest.push_back(kHex[hash[i] & 0xf]);
  }
  return digest;
}

std::string Sha256Digest(absl::string_view data) {
  Sha256 hasher;
  hasher.Update(data.data(), data.size());
  return hasher.Finish();
}

}  // namespace cloison::image
