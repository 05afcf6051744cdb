// runsc's recognition and what cloison does differently for it; and OciRuntime::Delete's answer
// to a `delete --force` that fails as runsc's does while its sandbox dies (a fake runtime here).
#include "cloison/runtime/runsc_quirks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cloison/runtime/oci_runtime.h"
#include "test_tmpdir.h"

namespace cloison::runtime {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
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

// A runtime CLI that logs each `delete` and `state` to <dir>/calls; the n-th delete fails with
// the text of <dir>/delete-<n>.err when that file exists, `state` answers <dir>/state.out (exit 0)
// or <dir>/state.err (exit 1).
class FakeRuntimeDelete : public ::testing::Test {
 protected:
  FakeRuntimeDelete() {
    const std::string script = dir_.Write("runtime", R"(#!/bin/sh
dir=$(dirname "$0")
for arg; do case $arg in delete|state) verb=$arg; break;; esac; done
echo "$verb" >> "$dir/calls"
if [ "$verb" = delete ]; then
  n=$(grep -c delete "$dir/calls")
  if [ -e "$dir/delete-$n.err" ]; then cat "$dir/delete-$n.err" >&2; exit 1; fi
  exit 0
fi
if [ -e "$dir/state.err" ]; then cat "$dir/state.err" >&2; exit 1; fi
cat "$dir/state.out"
)");
    chmod(script.c_str(), 0755);
    OciRuntimeOptions options;
    options.programs.runtime_path = script;
    options.global_args = {"--root=" + (dir_.path() / "root").string()};
    runtime_ = std::make_unique<OciRuntime>(options);
  }

  std::vector<std::string> Calls() const {
    std::ifstream in(dir_.path() / "calls");
    std::vector<std::string> calls;
    for (std::string line; std::getline(in, line);) calls.push_back(line);
    return calls;
  }

  testing::TempDir dir_;
  std::unique_ptr<OciRuntime> runtime_;
};

TEST_F(FakeRuntimeDelete, AFailedDeleteOfAContainerTheRuntimeNoLongerKnowsSucceeds) {
  dir_.Write("delete-1.err", "destroying container \"c1\": waiting sandbox \"c1\" stop: context deadline exceeded\n");
  dir_.Write("state.err", "loading container: file does not exist\n");
  const absl::Status deleted = runtime_->Delete("c1");
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_THAT(Calls(), ElementsAre("delete", "state"));
}

TEST_F(FakeRuntimeDelete, AFailedDeleteOfAStoppedContainerIsTriedOnceMore) {
  dir_.Write("delete-1.err", "destroying container \"c1\": urpc method \"containerManager.Destroy\" failed: EOF\n");
  dir_.Write("state.out", R"({"ociVersion":"1.0.2-dev","id":"c1","status":"stopped","pid":0})");
  const absl::Status deleted = runtime_->Delete("c1");
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_THAT(Calls(), ElementsAre("delete", "state", "delete"));

  // Once more only: the second failure is the answer.
  dir_.Write("delete-3.err", "first failure\n");
  dir_.Write("delete-4.err", "second failure\n");
  const absl::Status failed = runtime_->Delete("c1");
  EXPECT_TRUE(absl::IsInternal(failed)) << failed;
  EXPECT_THAT(failed.message(), HasSubstr("second failure"));
  EXPECT_THAT(Calls(), ElementsAre("delete", "state", "delete", "delete", "state", "delete"));
}

TEST_F(FakeRuntimeDelete, AFailedDeleteOfALiveOrUnclearContainerFails) {
  dir_.Write("delete-1.err", "cannot delete c1: something held\n");
  dir_.Write("state.out", R"({"id":"c1","status":"running","pid":42})");
  const absl::Status live = runtime_->Delete("c1");
  EXPECT_TRUE(absl::IsInternal(live)) << live;
  EXPECT_THAT(live.message(), HasSubstr("delete c1: cannot delete c1: something held"));
  EXPECT_THAT(Calls(), ElementsAre("delete", "state"));

  dir_.Write("delete-2.err", "cannot delete c1: something held\n");
  dir_.Write("state.err", "permission denied\n");
  EXPECT_TRUE(absl::IsInternal(runtime_->Delete("c1")));
  EXPECT_THAT(Calls(), ElementsAre("delete", "state", "delete", "state"));
}

}  // namespace
}  // namespace cloison::runtime
