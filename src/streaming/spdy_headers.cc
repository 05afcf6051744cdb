#include "cloison/streaming/spdy_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cloison::streaming::spdy {
namespace {

constexpr size_t kMaxBlock = 1 << 20;

// The dictionary is a run of length-prefixed words followed by a tail of plain text.
constexpr const char* kDictionaryWords[] = {
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
    "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
    "cache-control", "connection", "content-base", "content-encoding", "content-language",
    "content-length", "content-location", "content-md5", "content-range", "content-type", "date",
    "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match",
    "if-range", "if-unmodified-since", "last-modified", "location", "max-forwards", "pragma",
    "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after", "server", "te",
    "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public",
    "set-cookie", "keep-alive", "origin"};
constexpr const char kDictionaryTail[] =
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

void Append32(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

std::string BuildDictionary() {
  std::string dictionary;
  for (const char* word : kDictionaryWords) {
    const std::string text(word);
    Append32(dictionary, static_cast<uint32_t>(text.size()));
    dictionary += text;
  }
  return dictionary + kDictionaryTail;
}

Bytef* Bytes(const std::string& text) { return reinterpret_cast<Bytef*>(const_cast<char*>(text.data())); }

}  // namespace

const std::string& HeaderDictionary() {
  static const std::string* dictionary = new std::string(BuildDictionary());
  return *dictionary;
}

std::string HeaderValue(const Headers& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::string EncodeHeaderBlock(const Headers& headers) {
  std::string block;
  Append32(block, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    Append32(block, static_cast<uint32_t>(name.size()));
    block += absl::AsciiStrToLower(name);
    Append32(block, static_cast<uint32_t>(value.size()));
    block += value;
  }
  return block;
}

absl::StatusOr<Headers> DecodeHeaderBlock(absl::string_view block) {
  size_t offset = 0;
  auto read32 = [&](uint32_t& out) {
    if (block.size() - offset < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(block.data() + offset);
    out = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    offset += 4;
    return true;
  };
  auto read_string = [&](std::string& out) {
    uint32_t length = 0;
    if (!read32(length) || block.size() - offset < length) return false;
    out = std::string(block.substr(offset, length));
    offset += length;
    return true;
  };
  uint32_t count = 0;
  if (!read32(count)) return absl::InvalidArgumentError("SPDY header block: missing the pair count");
  Headers headers;
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, value;
    if (!read_string(name) || !read_string(value)) {
      return absl::InvalidArgumentError(absl::StrCat("SPDY header block: pair ", i, " of ", count, " is truncated"));
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
  return headers;
}

HeaderCompressor::HeaderCompressor() {
  deflateInit(&zs_, Z_BEST_COMPRESSION);
  const std::string& dictionary = HeaderDictionary();
  deflateSetDictionary(&zs_, Bytes(dictionary), static_cast<uInt>(dictionary.size()));
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(&zs_); }

std::string HeaderCompressor::Compress(const Headers& headers) {
  const std::string block = EncodeHeaderBlock(headers);
  zs_.next_in = Bytes(block);
  zs_.avail_in = static_cast<uInt>(block.size());
  std::string out;
  char buffer[4096];
  do {
    zs_.next_out = reinterpret_cast<Bytef*>(buffer);
    zs_.avail_out = sizeof(buffer);
    deflate(&zs_, Z_SYNC_FLUSH);
    out.append(buffer, sizeof(buffer) - zs_.avail_out);
  } while (zs_.avail_out == 0);
  return out;
}

HeaderDecompressor::HeaderDecompressor() { inflateInit(&zs_); }

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(&zs_); }

absl::StatusOr<Headers> HeaderDecompressor::Decompress(absl::string_view compressed) {
  const std::string input(compressed);
  zs_.next_in = Bytes(input);
  zs_.avail_in = static_cast<uInt>(input.size());
  std::string block;
  char buffer[4096];
  // inflate() may take in all the input and still hold output back for want of room: a
  // filled buffer means go on even without input.
  bool buffer_filled = false;
  while (zs_.avail_in > 0 || buffer_filled) {
    zs_.next_out = reinterpret_cast<Bytef*>(buffer);
    zs_.avail_out = sizeof(buffer);
    int result = inflate(&zs_, Z_SYNC_FLUSH);
    if (result == Z_NEED_DICT) {
      const std::string& dictionary = HeaderDictionary();
      if (inflateSetDictionary(&zs_, Bytes(dictionary), static_cast<uInt>(dictionary.size())) != Z_OK) {
        return absl::InvalidArgumentError("SPDY header block: the peer's zlib dictionary is not SPDY/3's");
      }
      result = inflate(&zs_, Z_SYNC_FLUSH);
    }
    if (result != Z_OK && result != Z_BUF_ERROR) {
      return absl::InvalidArgumentError(absl::StrCat("SPDY header block: zlib error ", result));
    }
    block.append(buffer, sizeof(buffer) - zs_.avail_out);
    if (block.size() > kMaxBlock) return absl::InvalidArgumentError("SPDY header block is larger than 1 MiB");
    if (result == Z_BUF_ERROR && zs_.avail_out != 0) break;  // no progress possible
    buffer_filled = zs_.avail_out == 0;
  }
  return DecodeHeaderBlock(block);
}

}  // namespace cloison::streaming::spdy
