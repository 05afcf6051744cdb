#include "cloison/util/command.h"

#include <gtest/gtest.h>

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

TEST(FindExecutable, SearchesPath) {
  absl::StatusOr<std::string> sh = FindExecutable("sh");
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_EQ(sh->front(), '/');
  EXPECT_EQ(sh->substr(sh->size() - 3), "/sh");
}

}  // namespace
}  // namespace cloison::util
