// runtime::RemoveExitFiles: the exit file and the temporary ones a killed monitor left beside
// it go; other containers' files stay.
#include "cloison/runtime/monitor_settling.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "test_tmpdir.h"

namespace cloison::runtime {
namespace {

std::set<std::string> Names(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

TEST(RemoveExitFiles, TheExitFileAndItsTemporariesGoOthersStay) {
  testing::TempDir dir;
  for (const char* name : {"abc", "abc.tmp-Xy12Zq", "abc.tmp-000000", "abcd", "abcd.tmp-Xy12Zq", "ab.tmp-Xy12Zq"}) {
    dir.Write(name, "{}");
  }
  RemoveExitFiles((dir.path() / "abc").string());
  EXPECT_EQ(Names(dir.path()), std::set<std::string>({"abcd", "abcd.tmp-Xy12Zq", "ab.tmp-Xy12Zq"}));
  RemoveExitFiles((dir.path() / "gone").string());  // nothing there: nothing happens
  EXPECT_EQ(Names(dir.path()).size(), 3u);
}

}  // namespace
}  // namespace cloison::runtime
