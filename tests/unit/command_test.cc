#include "cloison/util/command.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "cloison/util/proc_stat.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

using std::chrono::milliseconds;

TEST(RunCommand, CapturesStdoutStderrAndExitCode) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->stdout_text, "out\n");
  EXPECT_EQ(result->stderr_text, "err\n");
}

TEST(RunCommand, ReportsDeathBySignal) {
  absl::StatusOr<CommandResult> result = RunCommand({"sh", "-c", "kill -9 $$"}, milliseconds(5000));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + 9);
}

TEST(RunCommand, KillsAProgramPastItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<CommandResult> result = RunCommand({"sleep", "30"}, milliseconds(200));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// Neither gone nor a zombie.
bool Running(pid_t pid) {
  const absl::StatusOr<ProcStat> stat = ReadProcStat(pid);
  return stat.ok() && !stat->Exited();
}

TEST(RunCommand, RunsTheProgramInItsOwnProcessGroup) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"sh", "-c", "read -r stat < /proc/$$/stat; echo \"$stat\""}, milliseconds(5000));
  ASSERT_TRUE(result.ok()) << result.status();
  const pid_t pid = std::stoi(result->stdout_text);
  absl::StatusOr<ProcStat> stat = ParseProcStat(result->stdout_text);
  ASSERT_TRUE(stat.ok()) << result->stdout_text;
  EXPECT_EQ(stat->pgrp, pid) << result->stdout_text;
  EXPECT_EQ(stat->ppid, getpid());
}

TEST(RunCommand, TimeoutKillsWhatTheProgramForked) {
  cloison::testing::TempDir dir;
  const std::string pid_file = (dir.path() / "pids").string();
  // The shell's own pid, then its background child's; the foreground sleep replaces the shell.
  absl::StatusOr<CommandResult> result = RunCommand(
      {"sh", "-c", "echo $$ > " + pid_file + "; sleep 100 & echo $! >> " + pid_file + "; exec sleep 100"},
      milliseconds(500));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  std::ifstream in(pid_file);
  pid_t shell = 0, background = 0;
  in >> shell >> background;
  ASSERT_GT(shell, 0);
  ASSERT_GT(background, 0);
  // SIGKILL is delivered at once but the exit completes asynchronously: wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Running(background) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const bool survived = Running(background);
  if (survived) kill(background, SIGKILL);  // leave nothing behind, even on failure
  EXPECT_FALSE(survived) << "the background sleep " << background << " outlived the timeout";
  EXPECT_FALSE(Running(shell));
}

TEST(RunCommand, MissingProgramIsNotFound) {
  EXPECT_EQ(RunCommand({"/nonexistent/prog"}, milliseconds(1000)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RunCommand({"no-such-program-anywhere"}, milliseconds(1000)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RunCommand, FeedsStdinAndAddsEnvironment) {
  CommandInput input;
  input.stdin_data = std::string(200000, 'x') + "end";  // more than a socket buffer holds
  input.env = {"CLOISON_TEST_A=one", "PATH=/usr/bin:/bin"};
  absl::StatusOr<CommandResult> result = RunCommand(
      {"sh", "-c", "tail -c 3; echo \" $CLOISON_TEST_A $PATH\""}, milliseconds(5000), input);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "end one /usr/bin:/bin\n");
}

TEST(RunCommand, ProgramIgnoringStdinIsFine) {
  CommandInput input;
  input.stdin_data = std::string(1 << 20, 'x');
  absl::StatusOr<CommandResult> result = RunCommand({"true"}, milliseconds(5000), input);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
}

TEST(RunCommand, RunsInTheGivenWorkingDirectory) {
  CommandInput input;
  input.cwd = "/usr/share";
  absl::StatusOr<CommandResult> result = RunCommand({"pwd"}, milliseconds(5000), input);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "/usr/share\n");
}

TEST(RunCommand, RunsTheGivenProgramUnderArgvZero) {
  CommandInput input;
  input.program = "/bin/sh";
  absl::StatusOr<CommandResult> result = RunCommand({"shown-name", "-c", "echo $0"}, milliseconds(5000), input);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "shown-name\n");
}

TEST(FindExecutable, SearchesPath) {
  absl::StatusOr<std::string> sh = FindExecutable("sh");
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_EQ(sh->front(), '/');
  EXPECT_EQ(sh->substr(sh->size() - 3), "/sh");
}

}  // namespace
}  // namespace cloison::util
