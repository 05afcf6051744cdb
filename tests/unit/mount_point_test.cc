#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/mount_point.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Mount points at or below `dir` in /proc/self/mountinfo, as it spells them (escaped).
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> found;
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/self/mountinfo").value(), '\n')) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && absl::StartsWith(fields[4], dir)) found.emplace_back(fields[4]);
  }
  return found;
}

class DetachMountsUnderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (mounts)";
  }
  ~DetachMountsUnderTest() override {
    for (const std::string& path : {dir_ + "/a/b", dir_ + "/a", dir_ + "/with space", dir_, sibling_}) {
      (void)DetachMounts(path);
    }
  }

  bool MountTmpfs(const std::string& path) {
    std::filesystem::create_directories(path);
    return mount("tmpfs", path.c_str(), "tmpfs", 0, "size=64k") == 0;
  }

  testing::TempDir tmp_;
  const std::string dir_ = (tmp_.path() / "pod").string();
  const std::string sibling_ = (tmp_.path() / "pod-other").string();
};

// Nested mounts (the inner one made on the outer tmpfs), a stacked one, a path that mountinfo
// escapes; a directory that merely shares the prefix keeps its mount.
TEST_F(DetachMountsUnderTest, UnmountsEverythingBelowTheDirAndNothingBeside) {
  ASSERT_TRUE(MountTmpfs(dir_ + "/a"));
  ASSERT_TRUE(MountTmpfs(dir_ + "/a/b"));
  ASSERT_TRUE(MountTmpfs(dir_ + "/a/b"));
  ASSERT_TRUE(MountTmpfs(dir_ + "/with space"));
  ASSERT_TRUE(MountTmpfs(sibling_));
  ASSERT_EQ(MountsUnder(dir_ + "/").size(), 4u);

  ASSERT_TRUE(DetachMountsUnder(dir_).ok());
  EXPECT_THAT(MountsUnder(dir_ + "/"), IsEmpty());
  EXPECT_THAT(MountsUnder(sibling_), ElementsAre(sibling_));
  EXPECT_TRUE(DetachMountsUnder(dir_).ok()) << "nothing left is fine";
  EXPECT_TRUE(DetachMountsUnder((tmp_.path() / "missing").string()).ok());
}

TEST_F(DetachMountsUnderTest, UnmountsAMountOnTheDirItself) {
  ASSERT_TRUE(MountTmpfs(dir_));
  ASSERT_TRUE(MountTmpfs(dir_ + "/a"));
  ASSERT_TRUE(DetachMountsUnder(dir_ + "/").ok());
  EXPECT_THAT(MountsUnder(dir_), IsEmpty());
}

}  // namespace
}  // namespace cloison::util
