#include "cloison/monitor/oom_counter.h"

#include <gtest/gtest.h>

#include "test_tmpdir.h"

namespace cloison::monitor {
namespace {

TEST(ParseOomKillCount, ReadsBothFormats) {
  EXPECT_EQ(*ParseOomKillCount("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n"), 4u);
  EXPECT_EQ(*ParseOomKillCount("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n"), 2u);
  EXPECT_FALSE(ParseOomKillCount("oom_kill_disable 0\nunder_oom 0\n").ok());
}

class OomCounterTest : public ::testing::Test {
 protected:
  void WriteCgroupFile(const std::string& text) { dir_.Write("proc/77/cgroup", text); }
  absl::StatusOr<OomCounter> Find() {
    return OomCounter::ForProcess(77, (dir_.path() / "proc").string(), (dir_.path() / "cg").string());
  }
  testing::TempDir dir_;
};

TEST_F(OomCounterTest, CgroupV1MemoryControllerOnAHybridHost) {
  WriteCgroupFile("9:name=systemd:/x\n4:memory:/cloison/c1\n0::/x\n");
  dir_.Write("cg/memory/cloison/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  absl::StatusOr<OomCounter> counter = Find();
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(counter->path(), (dir_.path() / "cg/memory/cloison/c1/memory.oom_control").string());
  EXPECT_EQ(*counter->Read(), 1u);
  // The open counter sees later values.
  dir_.Write("cg/memory/cloison/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  EXPECT_EQ(*counter->Read(), 2u);
}

TEST_F(OomCounterTest, CgroupV2UnderUnified) {
  WriteCgroupFile("0::/pods/c2\n");
  dir_.Write("cg/unified/pods/c2/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  absl::StatusOr<OomCounter> counter = Find();
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(*counter->Read(), 0u);
}

TEST_F(OomCounterTest, PureCgroupV2) {
  WriteCgroupFile("0::/pods/c3\n");
  dir_.Write("cg/pods/c3/memory.events", "oom 1\noom_kill 1\n");
  absl::StatusOr<OomCounter> counter = Find();
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(*counter->Read(), 1u);
}

TEST_F(OomCounterTest, NoCounterFound) {
  WriteCgroupFile("0::/pods/c4\n");
  EXPECT_FALSE(Find().ok());
  EXPECT_FALSE(OomCounter::ForProcess(78, (dir_.path() / "proc").string(), "/nonexistent").ok());
}

TEST_F(OomCounterTest, FromACgroupfsCgroupsPathOnV1) {
  dir_.Write("cg/memory/cloison/cloison-c5/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  absl::StatusOr<OomCounter> counter = OomCounter::ForCgroupsPath("/cloison/cloison-c5", (dir_.path() / "cg").string());
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(counter->path(), (dir_.path() / "cg/memory/cloison/cloison-c5/memory.oom_control").string());
  EXPECT_EQ(*counter->Read(), 1u);
}

TEST_F(OomCounterTest, FromASystemdCgroupsPathOnV2) {
  dir_.Write("cg/kubepods.slice/kubepods-pod1.slice/cloison-c6.scope/memory.events", "oom 2\noom_kill 2\n");
  absl::StatusOr<OomCounter> counter =
      OomCounter::ForCgroupsPath("kubepods-pod1.slice:cloison:c6", (dir_.path() / "cg").string());
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(*counter->Read(), 2u);
  EXPECT_FALSE(OomCounter::ForCgroupsPath("/cloison/cloison-c7", (dir_.path() / "cg").string()).ok());
}

}  // namespace
}  // namespace cloison::monitor
