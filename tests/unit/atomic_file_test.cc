// util::WriteFileAtomically and util::ReplaceFile: the content and mode land, an existing
// file is replaced whole, and no temporary file is left beside the target.
#include "cloison/util/atomic_file.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

using WriteFunction = absl::Status (*)(const std::string&, absl::string_view, unsigned);

class AtomicFileTest : public ::testing::TestWithParam<WriteFunction> {};

size_t EntriesIn(const std::filesystem::path& dir) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
  return count;
}

TEST_P(AtomicFileTest, WritesContentAndMode) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "record.json").string();
  ASSERT_TRUE(GetParam()(path, "{\"a\":1}", 0640).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "{\"a\":1}");
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  EXPECT_EQ(EntriesIn(dir.path()), 1u);
}

TEST_P(AtomicFileTest, ReplacesAnExistingFileWhole) {
  testing::TempDir dir;
  const std::string path = dir.Write("hosts", "a much longer first version of the file\n");
  ASSERT_TRUE(GetParam()(path, "short\n", 0644).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "short\n");
  EXPECT_EQ(EntriesIn(dir.path()), 1u);
}

TEST_P(AtomicFileTest, MissingDirectoryIsNotFound) {
  testing::TempDir dir;
  const absl::Status status = GetParam()((dir.path() / "missing" / "file").string(), "x", 0600);
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
}

INSTANTIATE_TEST_SUITE_P(DurableAndNot, AtomicFileTest, ::testing::Values(&WriteFileAtomically, &ReplaceFile),
                         [](const ::testing::TestParamInfo<WriteFunction>& info) {
                           return info.index == 0 ? "WriteFileAtomically" : "ReplaceFile";
                         });

}  // namespace
}  // namespace cloison::util
