#include "cloison/runtime/runsc_quirks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/runtime/oci_runtime.h"

namespace cloison::runtime {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

HandlerInfo Handler(const std::string& path) {
  HandlerInfo info;
  info.config.name = "h";
  info.config.runtime_root = "/run/h";
  info.resolved_path = path;
  return info;
}

const std::vector<std::string> kHeld = {"CAP_CHOWN", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
                                        "CAP_CHECKPOINT_RESTORE"};

TEST(RunscQuirks, RunscIsRecognisedByItsFileName) {
  EXPECT_TRUE(IsRunsc(Handler("/usr/bin/runsc")));
  EXPECT_FALSE(IsRunsc(Handler("/usr/sbin/runc")));
  EXPECT_FALSE(IsRunsc(Handler("/opt/runsc-wrapper")));
}

TEST(RunscQuirks, RunscGetsOnlyTheCapabilitiesItKnows) {
  EXPECT_THAT(GrantableCapabilities(Handler("/usr/bin/runsc"), kHeld), ElementsAre("CAP_CHOWN", "CAP_AUDIT_READ"));
  EXPECT_EQ(GrantableCapabilities(Handler("/usr/sbin/runc"), kHeld), kHeld);
}

TEST(RunscQuirks, RunscHandlersLoadSeccompInsideTheSandboxAndUseStartStdioWaitAndKill) {
  HandlerInfo runsc = Handler("/usr/bin/runsc");
  runsc.config.runtime_args = {"--network=host"};
  const OciRuntimeOptions options = OciOptionsForHandler(runsc, false);
  EXPECT_THAT(options.global_args, ElementsAre("--root=/run/h", "--network=host", "--oci-seccomp"));
  EXPECT_TRUE(options.stdio_at_start);
  EXPECT_TRUE(options.wait_with_runtime);
  EXPECT_TRUE(options.kill_exec_with_runtime);

  runsc.config.runtime_args = {"--oci-seccomp"};  // not repeated
  EXPECT_THAT(OciOptionsForHandler(runsc, false).global_args, ElementsAre("--root=/run/h", "--oci-seccomp"));

  const OciRuntimeOptions runc = OciOptionsForHandler(Handler("/usr/sbin/runc"), false);
  EXPECT_THAT(runc.global_args, Not(Contains("--oci-seccomp")));
  EXPECT_FALSE(runc.stdio_at_start);
  EXPECT_FALSE(runc.wait_with_runtime);
  EXPECT_FALSE(runc.kill_exec_with_runtime);
}

}  // namespace
}  // namespace cloison::runtime
