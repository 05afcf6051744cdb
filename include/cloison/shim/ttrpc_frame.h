// ttrpc's framing (containerd/ttrpc PROTOCOL.md): a 10-byte header — uint32 big-endian data
// length, uint32 big-endian stream id, uint8 type, uint8 flags — then the data, at most 4 MiB.
// A unary call is one Request frame answered by one Response frame on the same stream id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::shim {

inline constexpr size_t kTtrpcHeaderSize = 10;
inline constexpr size_t kTtrpcMaxData = 4 << 20;

enum class FrameType : uint8_t { kRequest = 1, kResponse = 2, kData = 3 };

struct TtrpcFrame {
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  std::string data;
};

// The header plus data; INVALID_ARGUMENT when the data exceeds kTtrpcMaxData.
absl::StatusOr<std::string> EncodeFrame(uint32_t stream_id, FrameType type, uint8_t flags, absl::string_view data);

// Decodes the frame at the front of `buffer` and sets `consumed` to its size. UNAVAILABLE when
// `buffer` holds less than a whole frame; RESOURCE_EXHAUSTED when the header announces more
// than kTtrpcMaxData.
absl::StatusOr<TtrpcFrame> DecodeFrame(absl::string_view buffer, size_t& consumed);

// Blocking read of one whole frame from a stream socket. UNAVAILABLE at end of stream (also in
// the middle of a frame) or on a read error; RESOURCE_EXHAUSTED for an oversized frame.
absl::StatusOr<TtrpcFrame> ReadFrame(int fd);

// Writes all of `encoded` (MSG_NOSIGNAL); UNAVAILABLE when the peer is gone.
absl::Status WriteFrame(int fd, absl::string_view encoded);

}  // namespace cloison::shim
