#include "cloison/image/store_usage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "test_tmpdir.h"

namespace cloison::image {
namespace {

using ::cloison::testing::TempDir;

// A cache over a fake measurement that counts its calls and reports the count as used_bytes.
struct CountingCache {
  int measured = 0;
  StoreUsageCache cache{[this] {
    ++measured;
    return StoreUsage{"/images", static_cast<uint64_t>(measured), 0};
  }};
};

TEST(StoreUsageCache, RemembersTheUsageUntilAChange) {
  CountingCache counting;
  EXPECT_EQ(counting.cache.Get().used_bytes, 1u);
  EXPECT_EQ(counting.cache.Get().used_bytes, 1u);
  EXPECT_EQ(counting.measured, 1);
  { StoreUsageCache::Change change(counting.cache); }
  EXPECT_EQ(counting.cache.Get().used_bytes, 2u);
  EXPECT_EQ(counting.cache.Get().used_bytes, 2u);
  EXPECT_EQ(counting.measured, 2);
}

TEST(StoreUsageCache, MeasuresEachTimeWhileAChangeIsUnderWay) {
  CountingCache counting;
  EXPECT_EQ(counting.cache.Get().used_bytes, 1u);
  {
    StoreUsageCache::Change change(counting.cache);
    EXPECT_EQ(counting.cache.Get().used_bytes, 2u);
    EXPECT_EQ(counting.cache.Get().used_bytes, 3u);
  }
  EXPECT_EQ(counting.cache.Get().used_bytes, 4u);
  EXPECT_EQ(counting.cache.Get().used_bytes, 4u);
}

TEST(StoreUsageCache, AMeasurementAChangeOverlappedIsNotRemembered) {
  int measured = 0;
  StoreUsageCache* self = nullptr;
  StoreUsageCache cache([&] {
    ++measured;
    // The first walk sees a change start and end while it runs.
    if (measured == 1) StoreUsageCache::Change change(*self);
    return StoreUsage{"/images", static_cast<uint64_t>(measured), 0};
  });
  self = &cache;
  EXPECT_EQ(cache.Get().used_bytes, 1u);
  EXPECT_EQ(cache.Get().used_bytes, 2u);
  EXPECT_EQ(cache.Get().used_bytes, 2u);
}

TEST(MeasureStoreUsage, CountsBlocksAndInodesHardLinksOnce) {
  TempDir dir;
  const std::string big = dir.Write("content/big", std::string(20000, 'x'));
  const std::string empty = dir.Write("records/empty", "");
  ASSERT_EQ(link(big.c_str(), (dir.path() / "layers-link").c_str()), 0);
  struct stat big_stat{}, content_stat{}, records_stat{};
  ASSERT_EQ(stat(big.c_str(), &big_stat), 0);
  ASSERT_EQ(stat((dir.path() / "content").c_str(), &content_stat), 0);
  ASSERT_EQ(stat((dir.path() / "records").c_str(), &records_stat), 0);

  const StoreUsage usage = MeasureStoreUsage(dir.path().string());
  EXPECT_EQ(usage.mountpoint, dir.path().string());
  EXPECT_EQ(usage.inodes_used, 4u);  // content, records, big (twice linked), empty
  EXPECT_EQ(usage.used_bytes,
            static_cast<uint64_t>(big_stat.st_blocks + content_stat.st_blocks + records_stat.st_blocks) * 512);
  EXPECT_GE(usage.used_bytes, 20000u);
}

}  // namespace
}  // namespace cloison::image
