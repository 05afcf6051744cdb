// SPDY/3.1 bytes from a streaming client (kubectl through the API server, crictl): frames are
// taken off the front as SpdySession does until the bytes run out or one is malformed. Each
// frame must serialize to bytes that parse back to itself. The header blocks of SYN_STREAM,
// SYN_REPLY and HEADERS go through one connection's decompressor (whose output is capped), and
// also, as they are, through the block decoder; headers that decode must come back the same
// (names lower-cased) through an encode, and through a compress and decompress.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "cloison/streaming/spdy_frame.h"
#include "cloison/streaming/spdy_headers.h"

namespace {

namespace spdy = cloison::streaming::spdy;

constexpr size_t kMaxInflatedBlock = 1 << 20;  // HeaderDecompressor's cap

void CheckReparses(const spdy::Frame& frame) {
  const std::string bytes = spdy::SerializeFrame(frame);
  size_t consumed = 0;
  absl::StatusOr<std::optional<spdy::Frame>> again = spdy::ParseFrame(bytes, consumed);
  if (!again.ok() || !again->has_value() || consumed != bytes.size() || **again != frame) std::abort();
}

struct HeaderRoundTrip {
  spdy::HeaderCompressor compressor;
  spdy::HeaderDecompressor decompressor;

  void Check(const spdy::Headers& headers) {
    spdy::Headers lowered = headers;
    for (auto& [name, value] : lowered) absl::AsciiStrToLower(&name);
    const std::string block = spdy::EncodeHeaderBlock(headers);
    absl::StatusOr<spdy::Headers> decoded = spdy::DecodeHeaderBlock(block);
    if (!decoded.ok() || *decoded != lowered) std::abort();
    if (block.size() > kMaxInflatedBlock) return;
    absl::StatusOr<spdy::Headers> inflated = decompressor.Decompress(compressor.Compress(headers));
    if (!inflated.ok() || *inflated != lowered) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  spdy::HeaderDecompressor connection;  // the zlib stream spans the connection
  HeaderRoundTrip round_trip;
  while (true) {
    size_t consumed = 0;
    absl::StatusOr<std::optional<spdy::Frame>> frame = spdy::ParseFrame(input, consumed);
    if (!frame.ok() || !frame->has_value()) break;
    if (consumed == 0 || consumed > input.size()) std::abort();
    input.remove_prefix(consumed);
    CheckReparses(**frame);
    const spdy::FrameType type = (*frame)->type;
    if (type != spdy::FrameType::kSynStream && type != spdy::FrameType::kSynReply &&
        type != spdy::FrameType::kHeaders) {
      continue;
    }
    if (absl::StatusOr<spdy::Headers> raw = spdy::DecodeHeaderBlock((*frame)->payload); raw.ok()) {
      round_trip.Check(*raw);
    }
    absl::StatusOr<spdy::Headers> headers = connection.Decompress((*frame)->payload);
    if (!headers.ok()) break;  // the session ends the connection here
    round_trip.Check(*headers);
  }
  return 0;
}
