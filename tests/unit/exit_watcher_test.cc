#include "cloison/runtime/exit_watcher.h"
#include "cloison/runtime/runtime.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "cloison/util/atomic_file.h"
#include "test_tmpdir.h"

namespace cloison::runtime {
namespace {

TEST(ExitWatcher, ReportsExistingAndNewExitFilesButNotTemporaries) {
  testing::TempDir dir;
  const std::string exits = (dir.path() / "exits").string();
  dir.Write("exits/before", "{}");
  absl::Mutex mu;
  std::set<std::string> seen;
  {
    ExitWatcher watcher(exits, [&](const std::string& id) {
      absl::MutexLock lock(&mu);
      seen.insert(id);
    });
    ASSERT_TRUE(watcher.Start().ok());
    ASSERT_TRUE(util::WriteFileAtomically(exits + "/after", "{\"exit_code\":0}").ok());
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](std::set<std::string>* s) { return s->contains("after"); }, &seen),
                                    absl::Seconds(5)));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"before", "after"}));
}

TEST(ReadExitFile, ParsesTheMonitorsRecord) {
  testing::TempDir dir;
  const std::string path =
      dir.Write("exit", R"({"exit_code":137,"signal":9,"exited_at":1700000000000000000,"oom_killed":true})");
  absl::StatusOr<ExitRecord> record = ReadExitFile(path);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->exit_code, 137);
  EXPECT_EQ(record->signal, 9);
  EXPECT_EQ(record->exited_at_ns, 1700000000000000000);
  EXPECT_TRUE(record->oom_killed);
  EXPECT_EQ(ReadExitFile((dir.path() / "none").string()).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cloison::runtime
