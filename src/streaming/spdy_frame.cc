#include "cloison/streaming/spdy_frame.h"

#include "absl/strings/str_cat.h"

namespace cloison::streaming::spdy {
namespace {

constexpr uint16_t kVersion = 3;
constexpr size_t kHeaderSize = 8;

uint32_t Read32(absl::string_view data, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + offset);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void Append32(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

absl::Status TooShort(uint16_t type, size_t length) {
  return absl::InvalidArgumentError(absl::StrCat("SPDY control frame of type ", type, " is too short (", length, " bytes)"));
}

absl::StatusOr<Frame> ParseControl(uint16_t type, uint8_t flags, absl::string_view body) {
  Frame frame;
  frame.type = static_cast<FrameType>(type);
  frame.flags = flags;
  constexpr uint32_t kId = 0x7fffffff;
  switch (frame.type) {
    case FrameType::kSynStream:
      if (body.size() < 10) return TooShort(type, body.size());
      frame.stream_id = Read32(body, 0) & kId;
      frame.associated_id = Read32(body, 4) & kId;
      frame.priority = static_cast<uint8_t>(static_cast<unsigned char>(body[8]) >> 5);
      frame.payload = std::string(body.substr(10));
      break;
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      if (body.size() < 4) return TooShort(type, body.size());
      frame.stream_id = Read32(body, 0) & kId;
      frame.payload = std::string(body.substr(4));
      break;
    case FrameType::kRstStream:
    case FrameType::kGoAway:
    case FrameType::kWindowUpdate:
      if (body.size() < 8) return TooShort(type, body.size());
      frame.stream_id = Read32(body, 0) & kId;
      frame.value = Read32(body, 4) & (frame.type == FrameType::kWindowUpdate ? kId : 0xffffffff);
      break;
    case FrameType::kPing:
      if (body.size() < 4) return TooShort(type, body.size());
      frame.value = Read32(body, 0);
      break;
    case FrameType::kSettings: {
      if (body.size() < 4) return TooShort(type, body.size());
      const uint32_t count = Read32(body, 0);
      if (body.size() < 4 + size_t{count} * 8) return TooShort(type, body.size());
      for (uint32_t i = 0; i < count; ++i) {
        const uint32_t head = Read32(body, 4 + size_t{i} * 8);
        frame.settings.push_back({static_cast<uint8_t>(head >> 24), head & 0xffffff, Read32(body, 8 + size_t{i} * 8)});
      }
      break;
    }
    default:  // unknown control frames are returned for the caller to ignore
      break;
  }
  return frame;
}

}  // namespace

absl::StatusOr<std::optional<Frame>> ParseFrame(absl::string_view buffer, size_t& consumed) {
  consumed = 0;
  if (buffer.size() < kHeaderSize) return std::nullopt;
  const uint32_t first = Read32(buffer, 0);
  const uint32_t second = Read32(buffer, 4);
  const uint8_t flags = static_cast<uint8_t>(second >> 24);
  const size_t length = second & 0xffffff;
  if (buffer.size() < kHeaderSize + length) return std::nullopt;
  const absl::string_view body = buffer.substr(kHeaderSize, length);
  std::optional<Frame> frame;
  if ((first & 0x80000000u) != 0) {
    const uint16_t version = static_cast<uint16_t>((first >> 16) & 0x7fff);
    if (version != kVersion) return absl::InvalidArgumentError(absl::StrCat("unsupported SPDY version ", version));
    absl::StatusOr<Frame> control = ParseControl(static_cast<uint16_t>(first & 0xffff), flags, body);
    if (!control.ok()) return control.status();
    frame = std::move(*control);
  } else {
    frame.emplace();
    frame->type = FrameType::kData;
    frame->stream_id = first & 0x7fffffff;
    frame->flags = flags;
    frame->payload = std::string(body);
  }
  consumed = kHeaderSize + length;
  return frame;
}

std::string SerializeFrame(const Frame& frame) {
  std::string body;
  switch (frame.type) {
    case FrameType::kData:
      body = frame.payload;
      break;
    case FrameType::kSynStream:
      Append32(body, frame.stream_id);
      Append32(body, frame.associated_id);
      body.push_back(static_cast<char>(frame.priority << 5));
      body.push_back(0);  // credential slot
      body += frame.payload;
      break;
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      Append32(body, frame.stream_id);
      body += frame.payload;
      break;
    case FrameType::kRstStream:
    case FrameType::kGoAway:
    case FrameType::kWindowUpdate:
      Append32(body, frame.stream_id);
      Append32(body, frame.value);
      break;
    case FrameType::kPing:
      Append32(body, frame.value);
      break;
    case FrameType::kSettings:
      Append32(body, static_cast<uint32_t>(frame.settings.size()));
      for (const Setting& setting : frame.settings) {
        Append32(body, (uint32_t{setting.flags} << 24) | (setting.id & 0xffffff));
        Append32(body, setting.value);
      }
      break;
  }
  std::string out;
  out.reserve(kHeaderSize + body.size());
  if (frame.type == FrameType::kData) {
    Append32(out, frame.stream_id & 0x7fffffff);
  } else {
    Append32(out, 0x80000000u | (uint32_t{kVersion} << 16) | static_cast<uint16_t>(frame.type));
  }
  Append32(out, (uint32_t{frame.flags} << 24) | (static_cast<uint32_t>(body.size()) & kMaxFrameLength));
  out += body;
  return out;
}

}  // namespace cloison::streaming::spdy
