#include "cloison/util/proc_stat.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace cloison::util {
namespace {

// A /proc/<pid>/stat line of a process named `name`, state `state`, parent 42, started at tick
// 123456 (the 22nd field), as the kernel writes it.
std::string StatLine(const std::string& name, char state) {
  return "7 (" + name + ") " + state +
         " 42 7 7 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 8192000 200 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
}

TEST(ParseProcStat, ReadsStateParentAndStartTime) {
  absl::StatusOr<ProcStat> stat = ParseProcStat(StatLine("sleep", 'S'));
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 42);
  EXPECT_EQ(stat->pgrp, 7);
  EXPECT_EQ(stat->start_ticks, 123456);
  EXPECT_FALSE(stat->Exited());
}

TEST(ParseProcStat, CommandNamesWithSpacesParenthesesAndNewlines) {
  for (const std::string name : {"a b c", ") Z 1 2 3", "x) (y", "((", "two\nlines", ")", " "}) {
    absl::StatusOr<ProcStat> stat = ParseProcStat(StatLine(name, 'R'));
    ASSERT_TRUE(stat.ok()) << name << ": " << stat.status();
    EXPECT_EQ(stat->state, 'R') << name;
    EXPECT_EQ(stat->ppid, 42) << name;
    EXPECT_EQ(stat->start_ticks, 123456) << name;
  }
}

TEST(ParseProcStat, ZombieAndDeadHaveExited) {
  EXPECT_TRUE(ParseProcStat(StatLine("gone", 'Z'))->Exited());
  EXPECT_TRUE(ParseProcStat(StatLine("gone", 'X'))->Exited());
}

TEST(ParseProcStat, RejectsWhatIsNotAStatLine) {
  for (const std::string text : {"", "7 sleep S 42", "7 (sleep) S 42 7 7", "7 (sleep) S x 7 7 0 -1 4 1 0 0 0 1 2 0 0 20 0 1 0 1"}) {
    EXPECT_EQ(ParseProcStat(text).status().code(), absl::StatusCode::kInternal) << text;
  }
}

TEST(ReadProcStat, ThisProcessAndAReapedChild) {
  absl::StatusOr<ProcStat> self = ReadProcStat(getpid());
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_EQ(self->state, 'R');
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_GT(self->start_ticks, 0);

  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  absl::StatusOr<ProcStat> zombie = ReadProcStat(child);
  ASSERT_TRUE(zombie.ok()) << zombie.status();
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_EQ(zombie->ppid, getpid());
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_EQ(ReadProcStat(child).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cloison::util
