// Kubernetes' WebSocket channel framing: binary (channel byte) and base64 (channel digit, then
// standard base64 of the data), as client-go and the Kubernetes clients write them.
#include <gtest/gtest.h>

#include "cloison/streaming/terminal_size.h"
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

// The resize channel's message (also the SPDY resize stream's lines) comes from the client: a
// malformed one is ignored, never thrown on in the server's thread.
TEST(StreamingTerminalSize, ReadsWidthAndHeight) {
  EXPECT_EQ(ParseTerminalSize(R"({"Width":80,"Height":24})"), (TerminalSize{80, 24}));
  EXPECT_EQ(ParseTerminalSize(R"({"Width":65535,"Height":0})"), (TerminalSize{65535, 0}));
  EXPECT_EQ(ParseTerminalSize(R"({"Height":24})"), (TerminalSize{0, 24}));
  EXPECT_EQ(ParseTerminalSize(R"({"Width":80.9,"Height":24.0})"), (TerminalSize{80, 24}));
  EXPECT_EQ(ParseTerminalSize("{}"), (TerminalSize{0, 0}));
}

TEST(StreamingTerminalSize, MalformedMessagesAreIgnored) {
  for (const char* message : {R"({"Width":"80","Height":24})", R"({"Width":80,"Height":null})",
                              R"({"Width":[80],"Height":24})", R"({"Width":true,"Height":24})",
                              R"({"Width":-1,"Height":24})", R"({"Width":65536,"Height":24})",
                              R"({"Width":1e30,"Height":24})", R"({"Width":80,"Height":-1e30})",
                              R"({"Width":-0.5,"Height":24})", R"({"Width":18446744073709551615,"Height":1})",
                              "[80,24]", "null", "80", "", "{\"Width\":80", "\xff\xfe"}) {
    EXPECT_EQ(ParseTerminalSize(message), std::nullopt) << message;
  }
}

}  // namespace
}  // namespace cloison::streaming
