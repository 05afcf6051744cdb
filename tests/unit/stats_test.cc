#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/stats/cgroup_stats.h"
#include "cloison/stats/cpu_rate.h"
#include "cloison/stats/dir_usage.h"
#include "cloison/stats/net_dev.h"
#include "test_tmpdir.h"

namespace cloison::stats {
namespace {

TEST(CgroupPath, SystemdFormIsExpanded) {
  EXPECT_EQ(util::CgroupRelativePath("/kubepods/pod1/cloison-x"), "/kubepods/pod1/cloison-x");
  EXPECT_EQ(util::CgroupRelativePath("kubepods/pod1/cloison-x"), "/kubepods/pod1/cloison-x");
  EXPECT_EQ(util::CgroupRelativePath("kubepods-burstable-pod1.slice:cloison:x"),
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cloison-x.scope");
  EXPECT_EQ(util::CgroupRelativePath("system.slice:cloison:x"), "/system.slice/cloison-x.scope");
}

TEST(CgroupSample, ReadsV1Files) {
  testing::TempDir dir;
  const std::string cpu = (dir.path() / "cpu,cpuacct").string();
  const std::string memory = (dir.path() / "memory").string();
  dir.Write("cpu,cpuacct/pod/c/cpuacct.usage", "123456789\n");
  dir.Write("memory/pod/c/memory.usage_in_bytes", "10000\n");
  dir.Write("memory/pod/c/memory.limit_in_bytes", "9223372036854771712\n");
  dir.Write("memory/pod/c/memory.stat", "cache 5\nrss 1\ntotal_rss 4000\ntotal_inactive_file 3000\n"
                                        "total_pgfault 7\ntotal_pgmajfault 2\n");
  std::vector<util::CgroupHierarchy> hierarchies = {{cpu, {"cpu", "cpuacct"}, false},
                                                       {memory, {"memory"}, false},
                                                       {(dir.path() / "unified").string(), {}, true}};
  const CgroupSample sample = ReadCgroupSample(hierarchies, "/pod/c");
  EXPECT_EQ(sample.cpu_usage_ns, 123456789u);
  ASSERT_TRUE(sample.memory.has_value());
  EXPECT_EQ(sample.memory->usage_bytes, 10000u);
  EXPECT_EQ(sample.memory->working_set_bytes, 7000u);
  EXPECT_EQ(sample.memory->rss_bytes, 4000u);
  EXPECT_EQ(sample.memory->page_faults, 7u);
  EXPECT_EQ(sample.memory->major_page_faults, 2u);
  EXPECT_FALSE(sample.memory->limit_bytes.has_value());  // unlimited
  EXPECT_FALSE(sample.pids.has_value());                 // no pids hierarchy
  EXPECT_FALSE(sample.swap.has_value());                 // no memsw files: no swap accounting
}

TEST(CgroupSample, V1SwapIsMemswLessMemory) {
  testing::TempDir dir;
  const std::string memory = (dir.path() / "memory").string();
  dir.Write("memory/c/memory.usage_in_bytes", "10000\n");
  dir.Write("memory/c/memory.limit_in_bytes", "65536\n");
  dir.Write("memory/c/memory.memsw.usage_in_bytes", "14096\n");
  dir.Write("memory/c/memory.memsw.limit_in_bytes", "98304\n");
  const std::vector<util::CgroupHierarchy> hierarchies = {{memory, {"memory"}, false}};
  CgroupSample sample = ReadCgroupSample(hierarchies, "/c");
  ASSERT_TRUE(sample.swap.has_value());
  EXPECT_EQ(sample.swap->usage_bytes, 4096u);
  EXPECT_EQ(sample.swap->limit_bytes, 32768u);

  dir.Write("memory/c/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  sample = ReadCgroupSample(hierarchies, "/c");
  ASSERT_TRUE(sample.swap.has_value());
  EXPECT_FALSE(sample.swap->limit_bytes.has_value());  // unlimited
}

TEST(CgroupSample, ReadsV2Files) {
  testing::TempDir dir;
  dir.Write("pod/c/cpu.stat", "usage_usec 1500\nuser_usec 1000\n");
  dir.Write("pod/c/memory.current", "8192\n");
  dir.Write("pod/c/memory.max", "16384\n");
  dir.Write("pod/c/memory.stat", "anon 4096\ninactive_file 1024\npgfault 3\npgmajfault 1\n");
  dir.Write("pod/c/pids.current", "4\n");
  const CgroupSample sample = ReadCgroupSample({{dir.path().string(), {}, true}}, "/pod/c");
  EXPECT_EQ(sample.cpu_usage_ns, 1500000u);
  ASSERT_TRUE(sample.memory.has_value());
  EXPECT_EQ(sample.memory->usage_bytes, 8192u);
  EXPECT_EQ(sample.memory->working_set_bytes, 7168u);
  EXPECT_EQ(sample.memory->rss_bytes, 4096u);
  EXPECT_EQ(sample.memory->page_faults, 3u);
  EXPECT_EQ(sample.memory->major_page_faults, 1u);
  EXPECT_EQ(sample.memory->limit_bytes, 16384u);
  EXPECT_EQ(sample.pids, 4u);
  EXPECT_FALSE(sample.swap.has_value());  // no memory.swap.* files

  dir.Write("pod/c/memory.swap.current", "2048\n");
  dir.Write("pod/c/memory.swap.max", "max\n");
  CgroupSample with_swap = ReadCgroupSample({{dir.path().string(), {}, true}}, "/pod/c");
  ASSERT_TRUE(with_swap.swap.has_value());
  EXPECT_EQ(with_swap.swap->usage_bytes, 2048u);
  EXPECT_FALSE(with_swap.swap->limit_bytes.has_value());
  dir.Write("pod/c/memory.swap.max", "4096\n");
  with_swap = ReadCgroupSample({{dir.path().string(), {}, true}}, "/pod/c");
  EXPECT_EQ(with_swap.swap->limit_bytes, 4096u);
}

TEST(CpuRate, NanoCoresFromThePreviousSample) {
  CpuRateTracker tracker;
  EXPECT_FALSE(tracker.Rate("c", 1'000'000'000, 10'000'000'000).has_value());
  EXPECT_EQ(tracker.Rate("c", 1'500'000'000, 11'000'000'000), 500'000'000u);  // half a core
  EXPECT_FALSE(tracker.Rate("c", 100, 12'000'000'000).has_value());            // counter reset
  tracker.Forget("c");
  EXPECT_FALSE(tracker.Rate("c", 200, 13'000'000'000).has_value());
}

TEST(NetDev, ParsesInterfacesWithoutLoopback) {
  const char* text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
      "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n"
      "  eth0:    2000      20    3    0    0     0          0         0     4000      40    5    0    0     0       0          0\n";
  const std::vector<InterfaceCounters> interfaces = ParseNetDev(text);
  ASSERT_EQ(interfaces.size(), 1u);
  EXPECT_EQ(interfaces[0].name, "eth0");
  EXPECT_EQ(interfaces[0].rx_bytes, 2000u);
  EXPECT_EQ(interfaces[0].rx_errors, 3u);
  EXPECT_EQ(interfaces[0].tx_bytes, 4000u);
  EXPECT_EQ(interfaces[0].tx_errors, 5u);
}

TEST(DirUsage, CountsBlocksAndInodes) {
  testing::TempDir dir;
  dir.Write("layer/a", std::string(8192, 'x'));
  dir.Write("layer/sub/b", "y");
  const DirUsage usage = MeasureDir((dir.path() / "layer").string());
  EXPECT_EQ(usage.inodes, 4u);  // layer, a, sub, sub/b
  EXPECT_GE(usage.bytes, 8192u);
  EXPECT_EQ(MeasureDir((dir.path() / "missing").string()).inodes, 0u);
}

}  // namespace
}  // namespace cloison::stats
