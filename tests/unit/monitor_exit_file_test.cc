#include "cloison/monitor/exit_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "cloison/monitor/daemonize.h"
#include "nlohmann/json.hpp"
#include "test_tmpdir.h"

namespace cloison::monitor {
namespace {

int WaitStatusOf(const char* script) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", script, nullptr);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(ExitInfo, FromWaitStatus) {
  ExitInfo exited = ExitInfoFromWaitStatus(WaitStatusOf("exit 3"));
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.signal, 0);
  ExitInfo killed = ExitInfoFromWaitStatus(WaitStatusOf("kill -9 $$"));
  EXPECT_EQ(killed.exit_code, 137);
  EXPECT_EQ(killed.signal, SIGKILL);
}

TEST(ExitInfo, FromRuntimeWaitOutput) {
  absl::StatusOr<ExitInfo> exited = ExitInfoFromRuntimeWait(R"({"id":"c1","exitStatus":3})" "\n");
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_EQ(exited->exit_code, 3);
  EXPECT_EQ(exited->signal, 0);
  absl::StatusOr<ExitInfo> killed = ExitInfoFromRuntimeWait(R"({"id":"c1","exitStatus":137})");
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->exit_code, 137);
  EXPECT_EQ(killed->signal, 9);
  EXPECT_FALSE(ExitInfoFromRuntimeWait("").ok());
  EXPECT_FALSE(ExitInfoFromRuntimeWait("container not found").ok());
  EXPECT_FALSE(ExitInfoFromRuntimeWait(R"({"id":"c1"})").ok());
  // Out of an int, or no integer: refused, not narrowed.
  for (const char* output : {R"({"exitStatus":4294967299})", R"({"exitStatus":-4294967296})",
                             R"({"exitStatus":18446744073709551615})", R"({"exitStatus":3.0})",
                             R"({"exitStatus":"3"})", R"([{"exitStatus":3}])"}) {
    EXPECT_FALSE(ExitInfoFromRuntimeWait(output).ok()) << output;
  }
}

TEST(ExitFile, WritesTheJsonAtomically) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "exit").string();
  ExitInfo info;
  info.exit_code = 137;
  info.signal = 9;
  info.exited_at_ns = 1795890001123456789;
  info.oom_killed = true;
  ASSERT_TRUE(WriteExitFile(path, info).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json parsed = nlohmann::json::parse(text.str());
  EXPECT_EQ(parsed, nlohmann::json::parse(
                        R"({"exit_code":137,"signal":9,"exited_at":1795890001123456789,"oom_killed":true})"));
  EXPECT_TRUE(parsed["exited_at"].is_number_integer());
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // Nothing but the exit file is left in the directory.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);

  info.oom_killed = false;
  ASSERT_TRUE(WriteExitFile(path, info).ok());
  std::ifstream again(path);
  EXPECT_FALSE(nlohmann::json::parse(again)["oom_killed"].get<bool>());
}

TEST(ExitFile, AnUnobservedExitCarriesItsMessage) {
  ExitInfo lost;
  lost.exit_code = 255;
  lost.exited_at_ns = 5;
  lost.message = "lost the shim";
  EXPECT_EQ(nlohmann::json::parse(ExitInfoJson(lost)),
            nlohmann::json::parse(
                R"({"exit_code":255,"signal":0,"exited_at":5,"oom_killed":false,"message":"lost the shim"})"));
}

// The other report of the monitor, on the sync pipe (daemonize.h): runtime/monitor_launch.cc
// reads "pid", "message" and "timed_out".
TEST(SyncReport, PidOrFailureAsOneJsonLine) {
  EXPECT_EQ(SyncPidReport(4321), "{\"pid\":4321}\n");
  const std::string failed = SyncFailureReport(absl::DeadlineExceededError("create took too long"));
  ASSERT_EQ(failed.back(), '\n');
  EXPECT_EQ(nlohmann::json::parse(failed), nlohmann::json::parse(R"({"pid":-1,"message":"create took too long"})"));
  const std::string timed_out = SyncFailureReport(absl::DeadlineExceededError("create took too long"), true);
  EXPECT_EQ(nlohmann::json::parse(timed_out),
            nlohmann::json::parse(R"({"pid":-1,"message":"create took too long","timed_out":true})"));
  // A runtime's message that is no UTF-8 still makes a JSON line.
  EXPECT_TRUE(nlohmann::json::accept(SyncFailureReport(absl::InternalError("bad \xff byte"))));
}

TEST(RunDetached, AnUnusableSyncFdFailsWithoutRunningTheMonitor) {
  MonitorOptions options;
  options.sync_fd = -1;
  bool ran = false;
  EXPECT_EQ(RunDetached(options, [&ran] {
              ran = true;
              return 0;
            }),
            1);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace cloison::monitor
