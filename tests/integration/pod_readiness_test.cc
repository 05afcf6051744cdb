// A pod whose walls are gone is NOTREADY: its infra container killed (runc with a shared PID
// namespace, runsc), or its pinned network namespace gone while cloisond was down (what a
// reboot does to the state dir). Such a pod refuses CreateContainer with FAILED_PRECONDITION
// (no container joins a dead infra container's PID namespace, nor whatever process took its
// pid over), and StopPodSandbox (CNI DEL with an empty netns, as containerd) and
// RemovePodSandbox release it. An UpdatePodSandboxResources racing the infra container's exit
// does not undo it, and a StopPodSandbox (which kills the infra container itself) warns of
// nothing. Real runc, runsc (skipped without it) and CNI plugins (loopback, and a script that
// logs what each call got).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "nlohmann/json.hpp"
#include "pod_fixture.h"

extern char** environ;

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// How long a test waits for something on a loaded machine before failing.
constexpr auto kWaitLimit = std::chrono::seconds(30);

class PodReadiness : public PodFixture {
 protected:
  // Every pod gets a CNI network: loopback, then a script that logs each call's command and
  // netns and passes the result on.
  void SetUp() override {
    const std::string plugin = daemon_.dir().Write("plugins/cloison-test-netns-log", R"(#!/bin/sh
cat >/dev/null
echo "$CNI_COMMAND netns=[$CNI_NETNS]" >> ")" + CniLog() + R"("
if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion": "1.0.0"}'; fi
exit 0
)");
    chmod(plugin.c_str(), 0755);
    daemon_.dir().Write("conf.d/50-plugins.toml", "[network]\ncni_plugin_dirs = [\"" +
                                                      (daemon_.dir().path() / "plugins").string() +
                                                      "\", \"/usr/lib/cni\"]\n");
    daemon_.dir().Write("cni/10-readiness.conflist", R"({
  "cniVersion": "1.0.0", "name": "readiness",
  "plugins": [{"type": "cloison-test-netns-log"}, {"type": "loopback"}]
})");
    PodFixture::SetUp();
  }

  // After the pods are gone, no process of this test's cloisond is left.
  void TearDown() override {
    PodFixture::TearDown();
    ExpectNoProcessesLeft();
  }

  std::string CniLog() const { return (daemon_.dir().path() / "cni-calls.log").string(); }

  v1::PodSandboxState StateOf(const std::string& pod_id) {
    v1::PodSandboxStatusResponse response;
    EXPECT_TRUE(client_->PodStatus(pod_id, &response).ok());
    return response.status().state();
  }

  // The pod's infra container's pid, once it runs `expected` (the pause binary, runsc).
  int InfraPid(const std::string& pod_id, const std::string& expected) {
    const int pid = ReadRecord("sandboxes", pod_id).value("infraPid", 0);
    EXPECT_GT(pid, 0);
    // runc may still be exec'ing it when RunPodSandbox returns.
    EXPECT_TRUE(WaitUntil([&] { return Cmdline(pid).find(expected) != std::string::npos; }, kWaitLimit))
        << Cmdline(pid);
    return pid;
  }

  void ExpectCreateContainerRefused(const TestPod& pod) {
    const size_t containers = client_->List().size();
    std::string id;
    const grpc::Status status =
        client_->Create(pod.id, ContainerConfig("late", image_, {"sleep", "1000"}), pod.config, &id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("pod_sandbox_id"));
    EXPECT_EQ(client_->List().size(), containers);
  }

  // StopPodSandbox and RemovePodSandbox succeed and leave nothing of the pod: no record, no
  // mount, no directory, no CNI attachment (its DEL ran, with an empty netns when the pinned
  // one is gone).
  void ExpectStopAndRemoveRelease(const TestPod& pod) {
    grpc::Status status = client_->StopPod(pod.id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    status = client_->RemovePod(pod.id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    EXPECT_THAT(client_->ListPods(), IsEmpty());
    const std::filesystem::path pod_dir = daemon_.dir().path() / "state/sandboxes" / pod.id;
    EXPECT_THAT(MountsUnder(pod_dir.string()), IsEmpty());
    EXPECT_FALSE(std::filesystem::exists(pod_dir));
    EXPECT_FALSE(std::filesystem::exists(daemon_.dir().path() / "root/cni" / (pod.id + ".json")));
    EXPECT_THAT(ReadText(CniLog()), HasSubstr("DEL netns="));
  }
};

// A process standing in for one that took a dead infra container's pid over; killed at the end.
class StandIn {
 public:
  StandIn() {
    const char* argv[] = {"/bin/sleep", "1000", nullptr};
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0) pid_ = -1;
  }
  ~StandIn() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST_F(PodReadiness, ASharedPidPodWhoseInfraContainerIsKilledIsNotReady) {
  const TestPod pod = RunPod("killed-infra", "", v1::NamespaceMode::POD);
  ASSERT_FALSE(pod.id.empty());
  const std::string app = RunContainer(pod, "app", {"sleep", "1000"});
  ASSERT_EQ(StateOf(pod.id), v1::SANDBOX_READY);
  const int infra = InfraPid(pod.id, "pause");
  ASSERT_GT(infra, 0);

  ASSERT_EQ(kill(infra, SIGKILL), 0);
  EXPECT_TRUE(WaitUntil([&] { return StateOf(pod.id) == v1::SANDBOX_NOTREADY; }, kWaitLimit)) << daemon_.Log();
  ExpectCreateContainerRefused(pod);
  // The app died with its PID namespace's init.
  EXPECT_TRUE(WaitUntil([&] {
    v1::ContainerStatusResponse status;
    return client_->Status(app, &status).ok() && status.status().state() == v1::CONTAINER_EXITED;
  }, kWaitLimit));
  ExpectStopAndRemoveRelease(pod);
}

TEST_F(PodReadiness, ARunscPodWhoseSandboxIsKilledIsNotReady) {
  if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
  const TestPod pod = RunPod("killed-sandbox", "runsc");
  ASSERT_FALSE(pod.id.empty());
  ASSERT_EQ(StateOf(pod.id), v1::SANDBOX_READY);
  const int sandbox = InfraPid(pod.id, "runsc");
  ASSERT_GT(sandbox, 0);

  ASSERT_EQ(kill(sandbox, SIGKILL), 0);
  EXPECT_TRUE(WaitUntil([&] { return StateOf(pod.id) == v1::SANDBOX_NOTREADY; }, kWaitLimit)) << daemon_.Log();
  ExpectCreateContainerRefused(pod);
  ExpectStopAndRemoveRelease(pod);
}

// What a reboot does to a pod: its records persist under the root dir, the namespace pins in
// the state dir's tmpfs do not.
TEST_F(PodReadiness, APodWhosePinnedNetnsWentWhileCloisondWasDownIsNotReady) {
  const TestPod pod = RunPod("reboot");
  ASSERT_FALSE(pod.id.empty());
  const std::string netns = ReadRecord("sandboxes", pod.id).value("netns", "");
  ASSERT_FALSE(netns.empty());
  EXPECT_THAT(ReadText(CniLog()), HasSubstr("ADD netns=[" + netns + "]"));

  CrashDaemon();
  ASSERT_EQ(umount2(netns.c_str(), MNT_DETACH), 0);
  ASSERT_EQ(unlink(netns.c_str()), 0);
  RestartDaemon();

  EXPECT_EQ(StateOf(pod.id), v1::SANDBOX_NOTREADY);
  EXPECT_EQ(ReadRecord("sandboxes", pod.id).value("state", ""), "notready");  // persisted
  ExpectCreateContainerRefused(pod);
  ExpectStopAndRemoveRelease(pod);
  EXPECT_THAT(ReadText(CniLog()), HasSubstr("DEL netns=[]"));
}

// The infra container dies while cloisond is down, and another process gets its pid (here a
// host process standing in for it, written into the record): no new container may join that
// process's PID namespace, the host's.
TEST_F(PodReadiness, ASharedPidPodWhoseInfraDiedRefusesToJoinWhatTookItsPid) {
  const TestPod pod = RunPod("reused-pid", "", v1::NamespaceMode::POD);
  ASSERT_FALSE(pod.id.empty());
  const int infra = InfraPid(pod.id, "pause");
  ASSERT_GT(infra, 0);

  CrashDaemon();
  ASSERT_EQ(kill(infra, SIGKILL), 0);
  // Its monitor records the exit (the infra container's id is the pod's).
  const std::filesystem::path exit_file = daemon_.dir().path() / "state/exits" / pod.id;
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(exit_file); }, kWaitLimit));
  StandIn stand_in;
  ASSERT_GT(stand_in.pid(), 0);
  RewriteRecord("sandboxes", pod.id, [&](nlohmann::json& record) { record["infraPid"] = stand_in.pid(); });
  RestartDaemon();

  EXPECT_EQ(StateOf(pod.id), v1::SANDBOX_NOTREADY);
  ExpectCreateContainerRefused(pod);
  ExpectStopAndRemoveRelease(pod);
  EXPECT_EQ(kill(stand_in.pid(), 0), 0);  // untouched
}

// UpdatePodSandboxResources, call after call, while the infra container is killed: no update
// that read the pod before the exit was taken in writes it back READY with its infra container
// running, in memory or on disk. Round after round, as the exit lands anywhere in those calls.
TEST_F(PodReadiness, AnInfraExitDuringUpdatePodSandboxResourcesIsNotLost) {
  for (int round = 0; round < 6; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const TestPod pod = RunPod("resized-" + std::to_string(round), "", v1::NamespaceMode::POD);
    ASSERT_FALSE(pod.id.empty());
    const int infra = InfraPid(pod.id, "pause");
    ASSERT_GT(infra, 0);
    std::atomic<int> updates{0};
    {
      std::jthread updater([&](const std::stop_token& stop) {
        v1::LinuxContainerResources overhead, resources;
        overhead.set_cpu_shares(2);
        for (int64_t shares = 100; !stop.stop_requested(); ++shares) {
          resources.set_cpu_shares(shares);
          if (client_->UpdatePodResources(pod.id, overhead, resources).ok()) ++updates;
        }
      });
      ASSERT_TRUE(WaitUntil([&] { return updates > 0; }, kWaitLimit));
      ASSERT_EQ(kill(infra, SIGKILL), 0);
      EXPECT_TRUE(WaitUntil([&] { return StateOf(pod.id) == v1::SANDBOX_NOTREADY; }, kWaitLimit)) << daemon_.Log();
      const int seen = updates;
      EXPECT_TRUE(WaitUntil([&] { return updates > seen; }, kWaitLimit));  // one more, after the exit
    }  // the updater stops and is joined
    EXPECT_EQ(StateOf(pod.id), v1::SANDBOX_NOTREADY);
    const nlohmann::json record = ReadRecord("sandboxes", pod.id);
    EXPECT_EQ(record.value("state", ""), "notready");
    EXPECT_FALSE(record.value("infraRunning", true));
    ExpectStopAndRemoveRelease(pod);
  }
}

// A StopPodSandbox kubelet asks for kills the pod's infra container itself: its exit is no news
// worth a warning (as it is when the infra container dies on its own, above).
TEST_F(PodReadiness, StoppingAPodWithAnInfraContainerWarnsOfNothing) {
  struct Case {
    std::string name, handler;
    v1::NamespaceMode pid_mode;
  };
  std::vector<Case> cases = {{"quiet-shared-pid", "", v1::NamespaceMode::POD}};
  if (access("/usr/bin/runsc", X_OK) == 0) cases.push_back({"quiet-runsc", "runsc", v1::NamespaceMode::CONTAINER});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const TestPod pod = RunPod(c.name, c.handler, c.pid_mode);
    ASSERT_FALSE(pod.id.empty());
    ASSERT_GT(InfraPid(pod.id, c.handler.empty() ? "pause" : "runsc"), 0);
    const grpc::Status stopped = client_->StopPod(pod.id);
    ASSERT_TRUE(stopped.ok()) << stopped.error_message() << daemon_.Log();
    EXPECT_EQ(StateOf(pod.id), v1::SANDBOX_NOTREADY);
    std::vector<std::string> warnings;
    std::istringstream log(daemon_.Log());
    for (std::string line; std::getline(log, line);) {
      if (line.find(" warning ") != std::string::npos && line.find(pod.id) != std::string::npos) warnings.push_back(line);
    }
    EXPECT_THAT(warnings, IsEmpty());
    ASSERT_TRUE(client_->RemovePod(pod.id).ok()) << daemon_.Log();
  }
}

}  // namespace
}  // namespace cloison::testing
