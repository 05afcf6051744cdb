#include "cloison/shim/ttrpc_frame.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::shim {
namespace {

void PutBigEndian32(char* out, uint32_t value) {
  out[0] = static_cast<char>((value >> 24) & 0xff);
  out[1] = static_cast<char>((value >> 16) & 0xff);
  out[2] = static_cast<char>((value >> 8) & 0xff);
  out[3] = static_cast<char>(value & 0xff);
}

uint32_t GetBigEndian32(const char* in) {
  const auto byte = [in](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(in[i])); };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

struct Header {
  uint32_t length;
  TtrpcFrame frame;  // without data
};

absl::StatusOr<Header> DecodeHeader(const char* header) {
  Header decoded{GetBigEndian32(header), {}};
  if (decoded.length > kTtrpcMaxData) {
    return absl::ResourceExhaustedError(
        absl::StrCat("ttrpc frame of ", decoded.length, " bytes exceeds the ", kTtrpcMaxData, " byte limit"));
  }
  decoded.frame.stream_id = GetBigEndian32(header + 4);
  decoded.frame.type = static_cast<uint8_t>(header[8]);
  decoded.frame.flags = static_cast<uint8_t>(header[9]);
  return decoded;
}

// Reads exactly `size` bytes; UNAVAILABLE on end of stream or error.
absl::Status ReadFull(int fd, char* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, out + done, size - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      return absl::UnavailableError(done == 0 ? "ttrpc connection closed" : "ttrpc connection closed mid-frame");
    } else if (const int error = errno; error != EINTR) {
      return util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error, "ttrpc read");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> EncodeFrame(uint32_t stream_id, FrameType type, uint8_t flags, absl::string_view data) {
  if (data.size() > kTtrpcMaxData) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttrpc message of ", data.size(), " bytes exceeds the ", kTtrpcMaxData, " byte limit"));
  }
  std::string out(kTtrpcHeaderSize, '\0');
  PutBigEndian32(out.data(), static_cast<uint32_t>(data.size()));
  PutBigEndian32(out.data() + 4, stream_id);
  out[8] = static_cast<char>(type);
  out[9] = static_cast<char>(flags);
  out.append(data.data(), data.size());
  return out;
}

absl::StatusOr<TtrpcFrame> DecodeFrame(absl::string_view buffer, size_t& consumed) {
  if (buffer.size() < kTtrpcHeaderSize) return absl::UnavailableError("truncated ttrpc frame header");
  absl::StatusOr<Header> header = DecodeHeader(buffer.data());
  if (!header.ok()) return header.status();
  if (buffer.size() - kTtrpcHeaderSize < header->length) return absl::UnavailableError("truncated ttrpc frame");
  header->frame.data.assign(buffer.data() + kTtrpcHeaderSize, header->length);
  consumed = kTtrpcHeaderSize + header->length;
  return std::move(header->frame);
}

absl::StatusOr<TtrpcFrame> ReadFrame(int fd) {
  char raw[kTtrpcHeaderSize];
  if (absl::Status s = ReadFull(fd, raw, sizeof(raw)); !s.ok()) return s;
  absl::StatusOr<Header> header = DecodeHeader(raw);
  if (!header.ok()) return header.status();
  header->frame.data.resize(header->length);
  if (absl::Status s = ReadFull(fd, header->frame.data.data(), header->length); !s.ok()) return s;
  return std::move(header->frame);
}

absl::Status WriteFrame(int fd, absl::string_view encoded) {
  while (!encoded.empty()) {
    const ssize_t n = send(fd, encoded.data(), encoded.size(), MSG_NOSIGNAL);
    if (n > 0) {
      encoded.remove_prefix(static_cast<size_t>(n));
    } else if (const int error = errno; n < 0 && error != EINTR) {
      return util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error, "ttrpc write");
    }
  }
  return absl::OkStatus();
}

}  // namespace cloison::shim
