// SPDY/3 header blocks: the name/value block (32-bit counts and lengths, several values of one
// name joined by NUL) and its zlib compression seeded with the SPDY/3 dictionary. Each side of
// a connection keeps one HeaderCompressor for the blocks it sends and one HeaderDecompressor
// for those it receives: the zlib stream spans the whole connection, every block ends with a
// sync flush. Names are lower case on the wire (Go's SPDY framer refuses others).
#pragma once

#include <zlib.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::streaming::spdy {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The SPDY/3 zlib dictionary (draft 3, section 2.6.10.1), byte-exact.
const std::string& HeaderDictionary();

// The value of `name` (compared case-insensitively), or "" when absent.
std::string HeaderValue(const Headers& headers, absl::string_view name);

std::string EncodeHeaderBlock(const Headers& headers);
absl::StatusOr<Headers> DecodeHeaderBlock(absl::string_view block);

class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  std::string Compress(const Headers& headers);

 private:
  z_stream zs_{};
};

class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  // INVALID_ARGUMENT for corrupt data or a block over 1 MiB once inflated.
  absl::StatusOr<Headers> Decompress(absl::string_view compressed);

 private:
  z_stream zs_{};
};

}  // namespace cloison::streaming::spdy
