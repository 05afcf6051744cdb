// ttrpc framing: header layout, limits, and frames cut short.
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "cloison/shim/ttrpc_frame.h"
#include "cloison/util/unique_fd.h"
#include "gtest/gtest.h"

namespace cloison::shim {
namespace {

TEST(TtrpcFrame, EncodesTheTenByteBigEndianHeader) {
  absl::StatusOr<std::string> frame = EncodeFrame(0x01020304, FrameType::kRequest, 0x02, "abc");
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(*frame, std::string("\x00\x00\x00\x03\x01\x02\x03\x04\x01\x02" "abc", 13));
}

TEST(TtrpcFrame, DecodeReturnsWhatEncodeWrote) {
  const std::string encoded = *EncodeFrame(7, FrameType::kResponse, 0, "payload") + "next";
  size_t consumed = 0;
  absl::StatusOr<TtrpcFrame> frame = DecodeFrame(encoded, consumed);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->stream_id, 7u);
  EXPECT_EQ(frame->type, static_cast<uint8_t>(FrameType::kResponse));
  EXPECT_EQ(frame->flags, 0);
  EXPECT_EQ(frame->data, "payload");
  EXPECT_EQ(consumed, kTtrpcHeaderSize + 7);
}

TEST(TtrpcFrame, OversizedDataIsRefusedBothWays) {
  EXPECT_EQ(EncodeFrame(1, FrameType::kRequest, 0, std::string(kTtrpcMaxData + 1, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(EncodeFrame(1, FrameType::kRequest, 0, std::string(kTtrpcMaxData, 'x')).ok());
  const std::string header("\x00\x40\x00\x01\x00\x00\x00\x01\x01\x00", 10);  // 4 MiB + 1
  size_t consumed = 0;
  EXPECT_EQ(DecodeFrame(header, consumed).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(TtrpcFrame, TruncatedFramesAreUnavailable) {
  const std::string encoded = *EncodeFrame(1, FrameType::kRequest, 0, "0123456789");
  size_t consumed = 0;
  EXPECT_EQ(DecodeFrame(encoded.substr(0, 5), consumed).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(DecodeFrame(encoded.substr(0, encoded.size() - 1), consumed).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(TtrpcFrame, ReadFrameOverASocket) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  util::UniqueFd reader(pair[0]), writer(pair[1]);
  ASSERT_TRUE(WriteFrame(writer.get(), *EncodeFrame(3, FrameType::kRequest, 0, "hello")).ok());
  const std::string cut = *EncodeFrame(5, FrameType::kRequest, 0, "cut short");
  ASSERT_TRUE(WriteFrame(writer.get(), cut.substr(0, cut.size() - 3)).ok());
  writer.reset();

  absl::StatusOr<TtrpcFrame> first = ReadFrame(reader.get());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->stream_id, 3u);
  EXPECT_EQ(first->data, "hello");
  EXPECT_EQ(ReadFrame(reader.get()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReadFrame(reader.get()).status().code(), absl::StatusCode::kUnavailable);
}

TEST(TtrpcFrame, ReadFrameRefusesAnOversizedHeader) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  util::UniqueFd reader(pair[0]), writer(pair[1]);
  ASSERT_TRUE(WriteFrame(writer.get(), std::string("\x01\x00\x00\x00\x00\x00\x00\x01\x01\x00", 10)).ok());
  EXPECT_EQ(ReadFrame(reader.get()).status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace cloison::shim
