#include "cloison/server/stream_chunks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloison/cri/api.h"

namespace cloison::server {
namespace {

namespace v1 = ::runtime::v1;
using Items = google::protobuf::RepeatedPtrField<v1::Image>;

Items MakeImages(int count, size_t id_bytes = 10) {
  Items items;
  for (int i = 0; i < count; ++i) items.Add()->set_id(std::to_string(i) + std::string(id_bytes, 'x'));
  return items;
}

// The chunks `items` is cut into, as lists of ids.
std::vector<std::vector<std::string>> Chunks(Items items, const StreamChunkLimits& limits) {
  std::vector<std::vector<std::string>> chunks;
  EXPECT_TRUE(SendInChunks(items, limits, [&](Items& chunk) {
    chunks.emplace_back();
    for (const v1::Image& image : chunk) chunks.back().push_back(image.id());
    return true;
  }));
  return chunks;
}

TEST(SendInChunks, NothingToSendSendsNoMessage) {
  EXPECT_TRUE(Chunks(Items(), {3, 1 << 20}).empty());
}

TEST(SendInChunks, CutsByItemCountAndKeepsTheOrder) {
  const std::vector<std::vector<std::string>> chunks = Chunks(MakeImages(7, 0), {3, 1 << 20});
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(chunks[1], (std::vector<std::string>{"3", "4", "5"}));
  EXPECT_EQ(chunks[2], (std::vector<std::string>{"6"}));
  EXPECT_EQ(Chunks(MakeImages(3, 0), {3, 1 << 20}).size(), 1u);
}

TEST(SendInChunks, CutsByEncodedSizeAndEachMessageStaysUnderIt) {
  constexpr size_t kLimit = 1000;
  Items items = MakeImages(10, 300);  // about 310 bytes each: three fit in 1000 bytes
  std::vector<size_t> sizes;
  int sent = 0;
  ASSERT_TRUE(SendInChunks(items, {5000, kLimit}, [&](Items& chunk) {
    v1::StreamImagesResponse response;
    *response.mutable_images() = chunk;
    sizes.push_back(response.ByteSizeLong());
    sent += chunk.size();
    return true;
  }));
  EXPECT_EQ(sent, 10);
  ASSERT_EQ(sizes.size(), 4u);  // 3 + 3 + 3 + 1
  for (size_t size : sizes) EXPECT_LE(size, kLimit);
}

TEST(SendInChunks, AnItemLargerThanTheLimitGoesAlone) {
  Items items = MakeImages(3, 2000);
  EXPECT_EQ(Chunks(std::move(items), {5000, 1000}).size(), 3u);
}

TEST(SendInChunks, StopsWhenSendFails) {
  Items items = MakeImages(10, 0);
  int calls = 0;
  EXPECT_FALSE(SendInChunks(items, {2, 1 << 20}, [&](Items&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace cloison::server
