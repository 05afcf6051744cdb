// The SPDY/3.1 frame codec and the zlib header block compression of the streaming module.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "cloison/streaming/spdy_frame.h"
#include "cloison/streaming/spdy_headers.h"

namespace cloison::streaming::spdy {
namespace {

Frame RoundTrip(const Frame& frame) {
  const std::string bytes = SerializeFrame(frame);
  size_t consumed = 0;
  absl::StatusOr<std::optional<Frame>> parsed = ParseFrame(bytes + "trailing", consumed);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->has_value());
  EXPECT_EQ(consumed, bytes.size());
  return **parsed;
}

TEST(StreamingSpdy, EveryFrameTypeRoundTrips) {
  std::vector<Frame> frames(9);
  frames[0] = {FrameType::kData, kFlagFin, 5, 0, 0, 0, "hello", {}};
  frames[1] = {FrameType::kSynStream, kFlagUnidirectional, 7, 3, 2, 0, "compressed", {}};
  frames[2] = {FrameType::kSynReply, kFlagFin, 7, 0, 0, 0, "block", {}};
  frames[3] = {FrameType::kRstStream, 0, 9, 0, 0, kRstCancel, "", {}};
  frames[4] = {FrameType::kSettings, 0, 0, 0, 0, 0, "", {{1, 7, 65536}, {0, 4, 100}}};
  frames[5] = {FrameType::kPing, 0, 0, 0, 0, 0x12345679, "", {}};
  frames[6] = {FrameType::kGoAway, 0, 11, 0, 0, 2, "", {}};
  frames[7] = {FrameType::kHeaders, 0, 13, 0, 0, 0, "more", {}};
  frames[8] = {FrameType::kWindowUpdate, 0, 15, 0, 0, 0x7fffffff, "", {}};
  for (const Frame& frame : frames) EXPECT_EQ(RoundTrip(frame), frame) << static_cast<int>(frame.type);
}

TEST(StreamingSpdy, WireLayoutOfControlAndDataFrames) {
  Frame ping{FrameType::kPing, 0, 0, 0, 0, 1, "", {}};
  EXPECT_EQ(SerializeFrame(ping), std::string("\x80\x03\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12));
  Frame data{FrameType::kData, kFlagFin, 3, 0, 0, 0, "ab", {}};
  EXPECT_EQ(SerializeFrame(data), std::string("\x00\x00\x00\x03\x01\x00\x00\x02" "ab", 10));
}

TEST(StreamingSpdy, PartialFramesWaitAndBadVersionsFail) {
  const std::string bytes = SerializeFrame({FrameType::kData, 0, 1, 0, 0, 0, "payload", {}});
  for (size_t size = 0; size < bytes.size(); ++size) {
    size_t consumed = 1;
    absl::StatusOr<std::optional<Frame>> parsed = ParseFrame(bytes.substr(0, size), consumed);
    ASSERT_TRUE(parsed.ok());
    EXPECT_FALSE(parsed->has_value());
    EXPECT_EQ(consumed, 0u);
  }
  size_t consumed = 0;
  EXPECT_FALSE(ParseFrame(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12), consumed).ok());
  EXPECT_FALSE(ParseFrame(std::string("\x80\x03\x00\x01\x00\x00\x00\x02\x00\x00", 10), consumed).ok());
}

TEST(StreamingSpdy, TheDictionaryIsSpdy3s) {
  const std::string& dictionary = HeaderDictionary();
  EXPECT_EQ(dictionary.size(), 1423u);
  EXPECT_EQ(dictionary.substr(0, 11), std::string("\0\0\0\x07options", 11));
  EXPECT_THAT(dictionary, ::testing::EndsWith(",utf-,*,enq=0."));
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(dictionary.data()), static_cast<uInt>(dictionary.size())),
            0xe3c6a7c2u);
}

TEST(StreamingSpdy, HeaderBlocksRoundTripAcrossOneZlibStream) {
  HeaderCompressor compressor;
  HeaderDecompressor decompressor;
  const Headers first = {{"streamtype", "stdout"}, {"port", "8080"}, {"requestid", "0"}};
  const Headers second = {{"streamtype", "error"}, {"multi", std::string("a\0b", 3)}};
  for (const Headers& headers : {first, second, Headers{}, first}) {
    absl::StatusOr<Headers> decoded = decompressor.Decompress(compressor.Compress(headers));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, headers);
  }
  EXPECT_EQ(HeaderValue(first, "streamType"), "stdout");
  EXPECT_EQ(HeaderValue(first, "absent"), "");
}

TEST(StreamingSpdy, NamesAreLowerCasedAndGarbageIsRefused) {
  HeaderCompressor compressor;
  HeaderDecompressor decompressor;
  absl::StatusOr<Headers> decoded = decompressor.Decompress(compressor.Compress({{"StreamType", "stdin"}}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->front().first, "streamtype");
  HeaderDecompressor fresh;
  EXPECT_FALSE(fresh.Decompress("not zlib at all").ok());
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\0\0\0\x02\0\0\0\x01", 8)).ok());
}

}  // namespace
}  // namespace cloison::streaming::spdy
