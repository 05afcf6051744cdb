// The OCI seccomp section compiled by the monitor (direct ExecSync) behaves as runc's filter:
// each case loads the filter in a forked child and checks what real syscalls return there.
#include "cloison/monitor/seccomp_filter.h"

#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "cloison/oci/seccomp_default.h"

namespace cloison::monitor {
namespace {

using nlohmann::json;

// The wait status of a child that loads `filter`, then exits 0 when `probe` returns true, 1 when
// it returns false (2: the filter did not load).
int StatusUnder(const SeccompFilter& filter, const std::function<bool()>& probe) {
  const pid_t child = fork();
  if (child == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || filter.Load() != 0) _exit(2);
    _exit(probe() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

// Loads `filter` in a child, runs `probe` there; true when the probe returned true.
bool InChild(const SeccompFilter& filter, const std::function<bool()>& probe) {
  const int status = StatusUnder(filter, probe);
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_NE(WEXITSTATUS(status), 2) << "the filter did not load";
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// InChild with the filter compiled from the OCI seccomp `section`.
bool InChild(const json& section, const std::function<bool()>& probe) {
  absl::StatusOr<SeccompFilter> filter = CompileSeccomp(section);
  EXPECT_TRUE(filter.ok()) << filter.status();
  return filter.ok() && InChild(*filter, probe);
}

// A section allowing every syscall but as `rules` say. (A braced list of one json value is that
// value, not an array of it: such a single rule or argument goes in json::array.)
json AllowAllBut(const json& rules) { return {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", rules}}; }

// getpriority(which, who) as the raw syscall: -1 and errno when refused.
long Priority(long which, long who) { return syscall(SYS_getpriority, which, who); }

bool Refused(long result, int error) { return result == -1 && errno == error; }

json Arg(unsigned index, const char* op, uint64_t value, uint64_t value_two = 0) {
  return {{"index", index}, {"op", op}, {"value", value}, {"valueTwo", value_two}};
}

// A rule refusing getpriority with errno 9 when `args` match.
json RefusePriority(const json& args) {
  return {{"names", {"getpriority"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 9}, {"args", args}};
}

TEST(CompileSeccomp, RuleErrnoRetAndDefaultAllow) {
  EXPECT_TRUE(InChild(
      AllowAllBut({{{"names", {"getppid", "no_such_syscall"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 42}}}),
      [] { return Refused(syscall(SYS_getppid), 42) && syscall(SYS_getuid) >= 0; }));
}

TEST(CompileSeccomp, DefaultErrnoRetAndErrnoWithoutRetIsEperm) {
  const json section = {{"defaultAction", "SCMP_ACT_ERRNO"},
                        {"defaultErrnoRet", 7},
                        {"syscalls",
                         {{{"names", {"exit_group", "exit", "getuid"}}, {"action", "SCMP_ACT_ALLOW"}},
                          {{"names", {"getgid"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  EXPECT_TRUE(InChild(section, [] {
    return Refused(syscall(SYS_getppid), 7) && Refused(syscall(SYS_getgid), EPERM) && syscall(SYS_getuid) >= 0;
  }));
}

TEST(CompileSeccomp, ArgumentsOnDistinctIndexesAreAnded) {
  const json section =
      AllowAllBut(json::array({RefusePriority({Arg(0, "SCMP_CMP_EQ", PRIO_PROCESS), Arg(1, "SCMP_CMP_EQ", 0)})}));
  EXPECT_TRUE(InChild(section, [] {
    return Refused(Priority(PRIO_PROCESS, 0), 9) && Priority(PRIO_PROCESS, getpid()) >= 0 && Priority(PRIO_USER, 0) >= 0;
  }));
}

TEST(CompileSeccomp, ArgumentsOnOneIndexAreOred) {
  const json section =
      AllowAllBut(json::array({RefusePriority({Arg(0, "SCMP_CMP_EQ", PRIO_PROCESS), Arg(0, "SCMP_CMP_EQ", PRIO_PGRP)})}));
  EXPECT_TRUE(InChild(section, [] {
    return Refused(Priority(PRIO_PROCESS, 0), 9) && Refused(Priority(PRIO_PGRP, 0), 9) && Priority(PRIO_USER, 0) >= 0;
  }));
}

TEST(CompileSeccomp, MaskedEqualAndGreaterThan) {
  const json section = AllowAllBut(
      {RefusePriority(json::array({Arg(0, "SCMP_CMP_MASKED_EQ", 0x1, 0x1)})),
       {{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 11}, {"args", {Arg(0, "SCMP_CMP_GT", 5)}}}});
  EXPECT_TRUE(InChild(section, [] {
    return Refused(Priority(PRIO_PGRP, 0), 9) && Priority(PRIO_PROCESS, 0) >= 0 && Priority(PRIO_USER, 0) >= 0 &&
           Refused(syscall(SYS_getppid, 6), 11) && syscall(SYS_getppid, 5) > 0;
  }));
}

TEST(CompileSeccomp, KillProcessKillsTheProcess) {
  absl::StatusOr<SeccompFilter> filter =
      CompileSeccomp(AllowAllBut({{{"names", {"getppid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}}));
  ASSERT_TRUE(filter.ok()) << filter.status();
  const int status = StatusUnder(*filter, [] { return syscall(SYS_getppid) >= 0; });
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(CompileSeccomp, RulesLikeTheDefaultActionAndArchitecturesAndFlagsAreAccepted) {
  absl::StatusOr<SeccompFilter> filter = CompileSeccomp(
      {{"defaultAction", "SCMP_ACT_ALLOW"},
       {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
       {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
       {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_ALLOW"}}}}});
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  EXPECT_TRUE(InChild(*filter, [] { return syscall(SYS_getppid) > 0; }));
}

TEST(CompileSeccomp, CloisonRuntimeDefaultProfile) {
  EXPECT_TRUE(InChild(oci::DefaultSeccompProfile({"CAP_CHOWN"}), [] {
    return Refused(syscall(SYS_unshare, CLONE_NEWNS), EPERM) && Refused(syscall(SYS_clone3, nullptr, 0), ENOSYS) &&
           syscall(SYS_getppid) > 0;
  }));
}

TEST(CompileSeccomp, WhatOnlyTheRuntimeDoesIsUnimplemented) {
  const json notify = AllowAllBut({{{"names", {"getppid"}}, {"action", "SCMP_ACT_NOTIFY"}}});
  EXPECT_EQ(CompileSeccomp(notify).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CompileSeccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerPath", "/run/agent.sock"}}).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CompileSeccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_NEW_LISTENER"}}}).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CompileSeccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_VAX"}}}).status().code(),
            absl::StatusCode::kUnimplemented);
  const json bad_op = AllowAllBut({{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {Arg(0, "SCMP_CMP_XOR", 1)}}}});
  EXPECT_EQ(CompileSeccomp(bad_op).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CompileSeccomp({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", "getppid"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CompileSeccomp, FieldsOfAnotherTypeAreInvalidNotThrown) {
  // value() on these used to throw (and get<uint64_t>() of a huge float was undefined).
  EXPECT_EQ(CompileSeccomp({{"defaultAction", 5}}).status().code(), absl::StatusCode::kInvalidArgument);
  const json action = AllowAllBut({{{"names", {"getppid"}}, {"action", {"SCMP_ACT_ERRNO"}}}});
  EXPECT_EQ(CompileSeccomp(action).status().code(), absl::StatusCode::kInvalidArgument);
  json op = Arg(0, "SCMP_CMP_EQ", 1);
  op["op"] = 4;
  EXPECT_EQ(CompileSeccomp(AllowAllBut({{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {op}}}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const json& value : {json("1"), json(1e300), json::array()}) {
    json arg = Arg(0, "SCMP_CMP_EQ", 1);
    arg["valueTwo"] = value;
    absl::StatusOr<SeccompFilter> filter =
        CompileSeccomp(AllowAllBut({{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {arg}}}}));
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_NE(std::string(filter.status().message()).find("valueTwo"), std::string::npos) << filter.status();
  }
}

}  // namespace
}  // namespace cloison::monitor
