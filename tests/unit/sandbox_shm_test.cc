#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/strings/str_split.h"
#include "cloison/sandbox/shm.h"
#include "cloison/util/atomic_file.h"
#include "test_tmpdir.h"

namespace cloison::sandbox {
namespace {

using ::testing::HasSubstr;

// The mountinfo lines whose mount point is `path`.
std::vector<std::string> MountLines(const std::string& path) {
  std::vector<std::string> lines;
  for (absl::string_view line :
       absl::StrSplit(util::ReadFile("/proc/self/mountinfo").value(), '\n')) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && fields[4] == path) lines.emplace_back(line);
  }
  return lines;
}

class ShmTest : public ::testing::Test {
 protected:
  ~ShmTest() override { (void)UnmountShm(path_); }
  testing::TempDir tmp_;
  const std::string path_ = (tmp_.path() / "shm").string();
};

// tmpfs omits its default mode (1777) from mountinfo, so the mode is checked with stat.
TEST_F(ShmTest, MountsATmpfsWithMode1777AndSafeFlags) {
  ASSERT_TRUE(MountShm(path_, 1 << 20).ok());
  const std::vector<std::string> lines = MountLines(path_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr(" - tmpfs shm "));
  EXPECT_THAT(lines[0], HasSubstr("nosuid,nodev,noexec"));
  EXPECT_THAT(lines[0], HasSubstr("size=1024k"));
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 01777u);

  ASSERT_TRUE(UnmountShm(path_).ok());
  EXPECT_TRUE(MountLines(path_).empty());
  EXPECT_TRUE(UnmountShm(path_).ok()) << "idempotent";
  EXPECT_TRUE(UnmountShm((tmp_.path() / "missing").string()).ok());
}

TEST_F(ShmTest, DefaultsTo64MiB) {
  ASSERT_TRUE(MountShm(path_).ok());
  const std::vector<std::string> lines = MountLines(path_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("size=65536k"));
}

TEST_F(ShmTest, RefusesToStackOrZeroSize) {
  EXPECT_EQ(MountShm(path_, 0).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(MountShm(path_).ok());
  EXPECT_EQ(MountShm(path_).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(MountLines(path_).size(), 1u);
}

}  // namespace
}  // namespace cloison::sandbox
