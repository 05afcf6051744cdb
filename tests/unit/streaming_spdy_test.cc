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

// Blocks that inflate to many of the decompressor's 4 KiB buffers, from few compressed bytes,
// come out whole (up to the 1 MiB cap).
TEST(StreamingSpdy, LargeHighlyCompressibleBlocksDecodeWhole) {
  HeaderCompressor compressor;
  HeaderDecompressor decompressor;
  for (size_t size : {4000u, 4096u, 5000u, 65536u, 300000u}) {
    const Headers headers = {{"streamtype", "stdin"}, {"big", std::string(size, 'a')}, {"port", "22"}};
    absl::StatusOr<Headers> decoded = decompressor.Decompress(compressor.Compress(headers));
    ASSERT_TRUE(decoded.ok()) << size << ": " << decoded.status();
    EXPECT_EQ(*decoded, headers) << size;
  }
}

// A decompression bomb: some 8 KiB that inflate to 8 MiB are refused once past 1 MiB.
TEST(StreamingSpdy, BlocksInflatingPastOneMebibyteAreRefused) {
  HeaderCompressor compressor;
  const std::string bomb = compressor.Compress({{"big", std::string(8 << 20, 'a')}});
  EXPECT_LT(bomb.size(), 16u * 1024);
  HeaderDecompressor decompressor;
  absl::StatusOr<Headers> decoded = decompressor.Decompress(bomb);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), ::testing::HasSubstr("1 MiB"));
}

TEST(StreamingSpdy, HeaderBlocksWithImpossibleCountsOrLengthsAreRefused) {
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\xff\xff\xff\xff", 4)).ok());
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\0\0\0\x01\xff\xff\xff\xff" "a", 9)).ok());
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\0\0\0\x01\0\0\0\x01" "a" "\xff\xff\xff\xf0", 13)).ok());
  EXPECT_FALSE(DecodeHeaderBlock("").ok());
  HeaderDecompressor decompressor;
  EXPECT_FALSE(decompressor.Decompress("").ok());
}

TEST(StreamingSpdy, SettingsWithMoreEntriesThanBytesAreRefused) {
  size_t consumed = 0;
  // SETTINGS claiming 2^32-1 entries in a 12-byte body.
  const std::string frame("\x80\x03\x00\x04\x00\x00\x00\x0c\xff\xff\xff\xff\0\0\0\x01\0\0\0\x02", 20);
  EXPECT_EQ(ParseFrame(frame, consumed).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cloison::streaming::spdy
