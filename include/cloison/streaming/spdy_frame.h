// SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 with the 3.1 session window): one Frame
// struct for every frame type cloison speaks (DATA, SYN_STREAM, SYN_REPLY, RST_STREAM,
// SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE), ParseFrame to take one frame off the front
// of a byte buffer and SerializeFrame to write one. Header blocks stay compressed here; see
// spdy_headers.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::streaming::spdy {

enum class FrameType : uint16_t {
  kData = 0,  // not a control frame type on the wire
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

constexpr uint8_t kFlagFin = 0x01;             // DATA, SYN_STREAM, SYN_REPLY, HEADERS
constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM
constexpr uint32_t kMaxFrameLength = (1u << 24) - 1;

// RST_STREAM status codes used by cloison.
constexpr uint32_t kRstProtocolError = 1;
constexpr uint32_t kRstRefusedStream = 3;
constexpr uint32_t kRstCancel = 5;

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
  bool operator==(const Setting&) const = default;
};

struct Frame {
  FrameType type = FrameType::kData;
  uint8_t flags = 0;
  // DATA, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE: the stream; GOAWAY: the
  // last good stream id.
  uint32_t stream_id = 0;
  uint32_t associated_id = 0;  // SYN_STREAM
  uint8_t priority = 0;        // SYN_STREAM, 3 bits
  // RST_STREAM and GOAWAY: the status code; PING: the id; WINDOW_UPDATE: the delta.
  uint32_t value = 0;
  // DATA: the bytes; SYN_STREAM, SYN_REPLY, HEADERS: the compressed header block.
  std::string payload;
  std::vector<Setting> settings;  // SETTINGS

  bool operator==(const Frame&) const = default;
};

// Takes one frame off the front of `buffer`: nullopt while the buffer holds less than a whole
// frame, INVALID_ARGUMENT for a malformed one (a wrong version, a truncated fixed part). Unknown
// control frame types come back with their type number and are skipped by the caller.
absl::StatusOr<std::optional<Frame>> ParseFrame(absl::string_view buffer, size_t& consumed);

std::string SerializeFrame(const Frame& frame);

}  // namespace cloison::streaming::spdy
