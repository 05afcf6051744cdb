// A cloisond crash in the middle of RunPodSandbox or CreateContainer on runsc (gVisor), whose
// monitors start at those calls (the infra container's, then each container's), simulated by
// rewriting the record of a call that completed to its `creating` marker: after the restart
// nothing of the interrupted call is left, neither runsc sandbox or container, nor monitor,
// nor mount. Skipped without runsc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "nlohmann/json.hpp"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::IsEmpty;

class RunscRecovery : public PodFixture {
 protected:
  void SetUp() override {
    if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
    PodFixture::SetUp();
  }

  // Every process of this test's cloisond (its monitors, runsc and its sandboxes name the
  // test's directory) is gone once the pods are removed; a failed test's leftover processes
  // are killed and its leftover mounts detached.
  void TearDown() override {
    PodFixture::TearDown();
    ExpectNoProcessesLeft();
    const std::string dir = daemon_.dir().path().string();
    const std::vector<std::string> mounts = MountsUnder(dir);
    for (auto mount = mounts.rbegin(); mount != mounts.rend(); ++mount) umount2(mount->c_str(), MNT_DETACH);
  }

  std::string PodDir(const std::string& id) const { return (daemon_.dir().path() / "state/sandboxes" / id).string(); }
};

// The marker of a RunPodSandbox cut short while the infra container was being made: creating,
// the infra container named but not recorded running, and (as after a crash right after they
// were made) neither the namespace pins nor /dev/shm recorded.
TEST_F(RunscRecovery, AnInterruptedRunPodSandboxLeavesNoSandboxMonitorOrMount) {
  const TestPod pod = RunPod("gv-run", "runsc");
  ASSERT_FALSE(pod.id.empty());
  ASSERT_FALSE(ProcessesNaming(pod.id).empty());
  ASSERT_FALSE(MountsUnder(PodDir(pod.id)).empty());
  CrashDaemon();
  RewriteToInterruptedRun(pod.id);
  RestartDaemon();

  EXPECT_THAT(client_->ListPods(), IsEmpty());
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(pod.id).empty(); }, std::chrono::seconds(30)))
      << "left running: " << ::testing::PrintToString(ProcessesNaming(pod.id)) << daemon_.Log();
  EXPECT_THAT(MountsUnder(PodDir(pod.id)), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(PodDir(pod.id)));
}

// The marker of a CreateContainer cut short after its monitor made the container in runsc:
// creating, without pids.
TEST_F(RunscRecovery, AnInterruptedCreateContainerLeavesNoContainerMonitorOrRootfs) {
  const TestPod pod = RunPod("gv-create", "runsc");
  std::string id;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("victim", image_, {"sleep", "1000"}), pod.config, &id).ok())
      << daemon_.Log();
  const std::string storage = (daemon_.dir().path() / "root/storage").string();
  const auto rootfs_mounts = [&] {
    std::vector<std::string> mounts;
    for (const std::string& mount : MountsUnder(storage)) {
      if (mount.find(id) != std::string::npos) mounts.push_back(mount);
    }
    return mounts;
  };
  ASSERT_FALSE(rootfs_mounts().empty());
  ASSERT_FALSE(ProcessesNaming("--id " + id).empty());  // its monitor
  CrashDaemon();
  RewriteRecord("containers", id, [](nlohmann::json& record) {
    record["state"] = "creating";
    record["pid"] = 0;
    record["monitorPid"] = 0;
  });
  RestartDaemon();

  EXPECT_THAT(client_->List(), IsEmpty());
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(id).empty(); }, std::chrono::seconds(30)))
      << "left running: " << ::testing::PrintToString(ProcessesNaming(id)) << daemon_.Log();
  EXPECT_THAT(rootfs_mounts(), IsEmpty());
  // The pod lives on, and its sandbox takes new containers.
  const std::string next = RunContainer(pod, "next", {"sleep", "1000"});
  EXPECT_EQ(ExecSync(next, {"echo", "alive"}).stdout(), "alive\n");
}

}  // namespace
}  // namespace cloison::testing
