#include "cloison/monitor/direct_exec_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cloison::monitor {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json Process() {
  return {{"args", {"ls", "-l"}},
          {"env", {"PATH=/bin:/usr/bin", "HOME=/home/u"}},
          {"cwd", "/work"},
          {"user", {{"uid", 1000}, {"gid", 3000}, {"additionalGids", {4000, 5000}}, {"umask", 18}}},
          {"capabilities",
           {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
            {"effective", {"CAP_KILL"}},
            {"permitted", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
            {"inheritable", {"CAP_NET_BIND_SERVICE"}},
            {"ambient", {"CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"}}}},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 4096}}}},
          {"noNewPrivileges", true},
          {"oomScoreAdj", 100}};
}

json Spec() {
  return {{"linux",
           {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "network"}, {"path", "/proc/9/ns/net"}}}}}}};
}

TEST(PlanDirectExec, TakesTheProcessAsRuncWould) {
  absl::StatusOr<DirectExecPlan> plan = PlanDirectExec(Spec(), Process(), 39);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->args, ElementsAre("ls", "-l"));
  EXPECT_THAT(plan->candidates, ElementsAre("/bin/ls", "/usr/bin/ls"));
  EXPECT_EQ(plan->cwd, "/work");
  EXPECT_EQ(plan->uid, 1000u);
  EXPECT_EQ(plan->gid, 3000u);
  EXPECT_THAT(plan->additional_gids, ElementsAre(4000u, 5000u));
  EXPECT_EQ(plan->umask, 18u);
  EXPECT_EQ(plan->bounding, (1u << 0) | (1u << 5) | (1u << 10));
  EXPECT_EQ(plan->effective, 1u << 5);
  EXPECT_EQ(plan->permitted, (1u << 5) | (1u << 10));
  EXPECT_EQ(plan->inheritable, 1u << 10);
  EXPECT_EQ(plan->ambient, 1u << 10);  // CAP_CHECKPOINT_RESTORE (40) is above the host's last
  ASSERT_EQ(plan->rlimits.size(), 1u);
  EXPECT_EQ(plan->rlimits[0].first, RLIMIT_NOFILE);
  EXPECT_EQ(plan->rlimits[0].second.rlim_cur, 1024u);
  EXPECT_EQ(plan->rlimits[0].second.rlim_max, 4096u);
  EXPECT_TRUE(plan->no_new_privileges);
  EXPECT_EQ(plan->oom_score_adj, 100);
  EXPECT_FALSE(plan->seccomp.has_value());
}

TEST(PlanDirectExec, PathDefaultsAndSlashes) {
  json process = Process();
  process["env"] = {"HOME=/"};
  absl::StatusOr<DirectExecPlan> plan = PlanDirectExec(Spec(), process, 40);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->candidates.size(), 6u);
  EXPECT_EQ(plan->candidates.front(), "/usr/local/sbin/ls");
  process["args"] = {"./bin/ls"};
  plan = PlanDirectExec(Spec(), process, 40);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->candidates, ElementsAre("./bin/ls"));
}

TEST(PlanDirectExec, WhatItDoesNotApplyIsLeftToTheRuntime) {
  const auto code = [](const json& spec, const json& process) {
    return PlanDirectExec(spec, process, 40).status().code();
  };
  json spec = Spec();
  spec["linux"]["namespaces"].push_back({{"type", "time"}});
  EXPECT_EQ(code(spec, Process()), absl::StatusCode::kUnimplemented);
  spec = Spec();
  spec["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerPath", "/run/l.sock"}};
  EXPECT_EQ(code(spec, Process()), absl::StatusCode::kUnimplemented);
  spec = Spec();
  spec["linux"]["personality"] = {{"domain", "LINUX32"}};
  EXPECT_EQ(code(spec, Process()), absl::StatusCode::kUnimplemented);
  json process = Process();
  process["capabilities"]["bounding"].push_back("CAP_FUTURE");
  EXPECT_EQ(code(Spec(), process), absl::StatusCode::kUnimplemented);
  process = Process();
  process["env"] = {"PATH=/bin"};
  absl::Status no_home = PlanDirectExec(Spec(), process, 40).status();
  EXPECT_EQ(no_home.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(no_home.message(), HasSubstr("HOME"));
  process = Process();
  process["rlimits"] = {{{"type", "RLIMIT_FUTURE"}, {"soft", 1}, {"hard", 1}}};
  EXPECT_EQ(code(Spec(), process), absl::StatusCode::kUnimplemented);
  process = Process();
  process["terminal"] = true;
  EXPECT_EQ(code(Spec(), process), absl::StatusCode::kUnimplemented);
  process = Process();
  process["args"] = json::array();
  EXPECT_EQ(code(Spec(), process), absl::StatusCode::kInvalidArgument);
}

TEST(PlanDirectExec, FieldsOfAnotherTypeAreInvalidNotThrown) {
  // Each of these used to throw out of value()/get<>() (or convert a float out of range).
  const std::vector<std::pair<std::string, json>> cases = {
      {"/user/uid", "1000"},         {"/user/gid", 1e300},        {"/user/uid", -1},
      {"/user/additionalGids/0", "x"}, {"/user/umask", 0.5},        {"/rlimits/0/soft", "1024"},
      {"/rlimits/0/hard", 1e300},    {"/terminal", "no"},          {"/cwd", 5},
      {"/noNewPrivileges", 1},       {"/oomScoreAdj", 1e300},      {"/oomScoreAdj", 3000000000},
      {"/apparmorProfile", {"x"}},   {"/selinuxLabel", false}};
  for (const auto& [pointer, value] : cases) {
    json process = Process();
    process[json::json_pointer(pointer)] = value;
    absl::StatusOr<DirectExecPlan> plan = PlanDirectExec(Spec(), process, 39);
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << pointer << " = " << value;
  }
  json spec = Spec();
  spec["linux"]["namespaces"][0]["type"] = 1;
  EXPECT_EQ(PlanDirectExec(spec, Process(), 39).status().code(), absl::StatusCode::kUnimplemented);
  json rlimit_type = Process();
  rlimit_type["rlimits"][0]["type"] = 7;
  EXPECT_EQ(PlanDirectExec(Spec(), rlimit_type, 39).status().code(), absl::StatusCode::kUnimplemented);
  json infinity = Process();
  infinity["rlimits"][0]["hard"] = UINT64_MAX;
  absl::StatusOr<DirectExecPlan> plan = PlanDirectExec(Spec(), infinity, 39);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->rlimits[0].second.rlim_max, RLIM_INFINITY);
}

TEST(PlanDirectExec, CompilesTheSeccompSection) {
  json spec = Spec();
  spec["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                              {"syscalls", {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  absl::StatusOr<DirectExecPlan> plan = PlanDirectExec(spec, Process(), 40);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(plan->seccomp.has_value());
  EXPECT_FALSE(plan->seccomp->program.empty());
}

}  // namespace
}  // namespace cloison::monitor
