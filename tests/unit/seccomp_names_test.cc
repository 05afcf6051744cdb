// util/seccomp_names.h: the OCI names resolve to libseccomp's values, unknown names do not.
#include "cloison/util/seccomp_names.h"

#include <cerrno>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cloison::util {
namespace {

TEST(SeccompNamesTest, ArchitecturesResolveThroughLibseccomp) {
  EXPECT_EQ(SeccompArchToken("SCMP_ARCH_X86_64"), SCMP_ARCH_X86_64);
  EXPECT_EQ(SeccompArchToken("SCMP_ARCH_AARCH64"), SCMP_ARCH_AARCH64);
  EXPECT_EQ(SeccompArchToken("SCMP_ARCH_X32"), SCMP_ARCH_X32);
  EXPECT_EQ(SeccompArchToken("x86_64"), 0u);  // the prefix is part of the OCI name
  EXPECT_EQ(SeccompArchToken("SCMP_ARCH_NOSUCH"), 0u);
}

TEST(SeccompNamesTest, ActionsCarryTheRulesCode) {
  const auto& actions = SeccompActions();
  EXPECT_EQ(actions.at("SCMP_ACT_ERRNO")(ENOSYS), SCMP_ACT_ERRNO(ENOSYS));
  EXPECT_EQ(actions.at("SCMP_ACT_TRACE")(7), SCMP_ACT_TRACE(7));
  EXPECT_EQ(actions.at("SCMP_ACT_ALLOW")(ENOSYS), SCMP_ACT_ALLOW);
  EXPECT_EQ(actions.at("SCMP_ACT_KILL")(0), SCMP_ACT_KILL_THREAD);  // runc's reading of the old name
  EXPECT_EQ(actions.at("SCMP_ACT_KILL_PROCESS")(0), SCMP_ACT_KILL_PROCESS);
  std::vector<std::string> names;
  for (const auto& [name, value] : actions) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                                             "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                             "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}));
}

TEST(SeccompNamesTest, OperatorsAreLibseccompsComparisons) {
  const auto& operators = SeccompOperators();
  EXPECT_EQ(operators.size(), 7u);
  EXPECT_EQ(operators.at("SCMP_CMP_MASKED_EQ"), SCMP_CMP_MASKED_EQ);
  EXPECT_EQ(operators.at("SCMP_CMP_NE"), SCMP_CMP_NE);
  EXPECT_FALSE(operators.contains("SCMP_CMP_AND"));
}

}  // namespace
}  // namespace cloison::util
