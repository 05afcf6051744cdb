// util::ListDirectory: names sorted, types as lstat sees them, and statuses instead of the
// exceptions std::filesystem's iterators throw.
#include "cloison/util/directory_entries.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

namespace fs = std::filesystem;

TEST(ListDirectory, SortedNamesWithTheirOwnTypes) {
  testing::TempDir dir;
  dir.Write("b.json", "{}");
  fs::create_directory(dir.path() / "a-dir");
  fs::create_directory_symlink(dir.path() / "a-dir", dir.path() / "c-link");
  ASSERT_EQ(mkfifo((dir.path() / "d-fifo").c_str(), 0600), 0);

  absl::StatusOr<std::vector<DirectoryEntry>> entries = ListDirectory(dir.path().string());
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].name, "a-dir");
  EXPECT_EQ((*entries)[0].type, fs::file_type::directory);
  EXPECT_EQ((*entries)[1].name, "b.json");
  EXPECT_EQ((*entries)[1].type, fs::file_type::regular);
  EXPECT_EQ((*entries)[2].name, "c-link");
  EXPECT_EQ((*entries)[2].type, fs::file_type::symlink);  // not followed to the directory
  EXPECT_EQ((*entries)[3].name, "d-fifo");
  EXPECT_EQ((*entries)[3].type, fs::file_type::fifo);
}

TEST(ListDirectory, EmptyDirectoryHasNoEntries) {
  testing::TempDir dir;
  absl::StatusOr<std::vector<DirectoryEntry>> entries = ListDirectory(dir.path().string());
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_TRUE(entries->empty());
}

TEST(ListDirectory, MissingDirectoryIsNotFound) {
  testing::TempDir dir;
  const std::string missing = (dir.path() / "gone").string();
  absl::StatusOr<std::vector<DirectoryEntry>> entries = ListDirectory(missing);
  ASSERT_EQ(entries.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(entries.status().message().find(missing), std::string::npos) << entries.status();
}

TEST(ListDirectory, AFileIsNotADirectoryAndTheErrorNamesIt) {
  testing::TempDir dir;
  const std::string file = dir.Write("plain", "text");
  absl::StatusOr<std::vector<DirectoryEntry>> entries = ListDirectory(file);
  ASSERT_EQ(entries.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(entries.status().message().find(file), std::string::npos) << entries.status();
}

}  // namespace
}  // namespace cloison::util
