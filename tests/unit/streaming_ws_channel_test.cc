// Kubernetes' WebSocket channel framing: binary (channel byte) and base64 (channel digit, then
// standard base64 of the data), as client-go and the Kubernetes clients write them.
#include <gtest/gtest.h>

#include "cloison/streaming/ws_channel_frame.h"

namespace cloison::streaming {
namespace {

TEST(StreamingWsChannel, BinaryIsTheChannelByteThenTheData) {
  EXPECT_EQ(EncodeChannelMessage(false, 1, "out"), std::string("\x01out", 4));
  EXPECT_EQ(EncodeChannelMessage(false, 3, ""), std::string("\x03", 1));
  const std::optional<ChannelMessage> decoded = DecodeChannelMessage(false, std::string("\x00in\xff", 4));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->channel, 0);
  EXPECT_EQ(decoded->data, "in\xff");
  EXPECT_EQ(DecodeChannelMessage(false, "\xff\x00")->channel, 255);  // v5's CLOSE
  EXPECT_FALSE(DecodeChannelMessage(false, "").has_value());
}

TEST(StreamingWsChannel, Base64IsADigitThenPaddedBase64) {
  EXPECT_EQ(EncodeChannelMessage(true, 1, "hello"), "1aGVsbG8=");
  EXPECT_EQ(EncodeChannelMessage(true, 3, ""), "3");
  EXPECT_EQ(EncodeChannelMessage(true, 2, std::string("\x90\x1f", 2)), "2kB8=");
  const std::optional<ChannelMessage> decoded = DecodeChannelMessage(true, "0aGk=");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->channel, 0);
  EXPECT_EQ(decoded->data, "hi");
  EXPECT_EQ(DecodeChannelMessage(true, "4")->data, "");
  EXPECT_FALSE(DecodeChannelMessage(true, "0not base64!").has_value());
}

}  // namespace
}  // namespace cloison::streaming
