// Integration tests of a "vm" runtime handler through cloisond, driven with Debian's
// containerd-shim-runc-v2 (the shim v2 protocol Kata's containerd-shim-kata-v2 speaks): pod
// and container lifecycle, CRI logs, ExecSync, exits, stop, one shim per pod, cleanup of the
// shim, its socket and the mounts, and recovery after cloisond is SIGKILLed. Skipped when the
// shim is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kHandler[] = "runc-shim";
constexpr char kConfig[] =
    "[runtimes.runc-shim]\nruntime_type = \"vm\"\nruntime_path = \"containerd-shim-runc-v2\"\n";

// The serving shims of this test's cloisond (their -address lies under its state dir); the
// `start` and `delete` invocations are short-lived and not counted.
std::vector<int> OurShims(const std::string& dir) {
  std::vector<int> shims;
  for (int pid : ProcessesMatching(kShim, dir)) {
    const std::string cmdline = Cmdline(pid);
    if (cmdline.find(" start") == std::string::npos && cmdline.find(" delete") == std::string::npos) {
      shims.push_back(pid);
    }
  }
  return shims;
}

std::string SocketPath(const std::string& address) {
  return address.rfind("unix://", 0) == 0 ? address.substr(7) : address;
}

class VmHandler : public PodFixture {
 protected:
  VmHandler() : PodFixture(kConfig) {}

  void SetUp() override {
    if (access(kShim, X_OK) != 0) GTEST_SKIP() << kShim << " is not installed";
    PodFixture::SetUp();
  }

  void TearDown() override {
    PodFixture::TearDown();
    if (daemon_.pid() <= 0) return;
    const std::vector<int> shims = OurShims(daemon_.dir().path().string());
    EXPECT_THAT(shims, ::testing::IsEmpty()) << daemon_.Log();
    for (int pid : shims) kill(pid, SIGKILL);  // never leave one behind
    for (const std::string& socket : shim_sockets_) {
      EXPECT_NE(access(socket.c_str(), F_OK), 0) << socket << " is left behind";
    }
  }

  // PodFixture::RunContainer, remembering the socket of the container's shim for TearDown.
  std::string RunContainer(const TestPod& pod, const std::string& name, const std::vector<std::string>& command) {
    const std::string id = PodFixture::RunContainer(pod, name, command);
    const std::string address =
        CloisondProcess::ReadFile((daemon_.dir().path() / "state/containers" / id / "shim-address").string());
    EXPECT_FALSE(address.empty());
    if (!address.empty()) shim_sockets_.push_back(SocketPath(address));
    return id;
  }

  std::vector<std::string> shim_sockets_;
};

TEST_F(VmHandler, ContainersLogExecExitAndStopThroughTheShim) {
  const TestPod pod = RunPod("vm", kHandler);
  v1::PodSandboxStatusResponse pod_status;
  ASSERT_TRUE(client_->PodStatus(pod.id, &pod_status).ok());
  EXPECT_EQ(pod_status.status().runtime_handler(), "runc-shim");
  EXPECT_EQ(pod_status.status().state(), v1::SANDBOX_READY);

  const std::string quitter = RunContainer(pod, "quitter", {"sh", "-c", "echo out; echo err >&2; exit 7"});
  const v1::ContainerStatus quit = client_->WaitExited(quitter);
  EXPECT_EQ(quit.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(quit.exit_code(), 7);
  EXPECT_EQ(quit.reason(), "Error");
  EXPECT_THAT(LogOf("quitter"), HasSubstr(" stdout F out\n"));
  EXPECT_THAT(LogOf("quitter"), HasSubstr(" stderr F err\n"));

  const std::string sleeper = RunContainer(pod, "sleeper", {"sleep", "4242"});
  EXPECT_EQ(client_->StatusOf(sleeper).state(), v1::CONTAINER_RUNNING);
  // The pod's containers run under the pod's one shim: the container's init is its child.
  const std::string dir = daemon_.dir().path().string();
  const std::vector<int> shims = OurShims(dir);
  ASSERT_EQ(shims.size(), 1u) << daemon_.Log();
  std::vector<int> sleepers = ProcessesMatching("sleep 4242", "");
  sleepers.erase(std::remove_if(sleepers.begin(), sleepers.end(), [&](int pid) { return ParentOf(pid) != shims[0]; }),
                 sleepers.end());
  EXPECT_EQ(sleepers.size(), 1u);

  v1::ExecSyncResponse echoed = ExecSync(sleeper, {"sh", "-c", "echo to-out; echo to-err >&2"});
  EXPECT_EQ(echoed.stdout(), "to-out\n");
  EXPECT_EQ(echoed.stderr(), "to-err\n");
  EXPECT_EQ(echoed.exit_code(), 0);
  EXPECT_EQ(ExecSync(sleeper, {"sh", "-c", "exit 3"}).exit_code(), 3);

  v1::ExecSyncResponse response;
  const grpc::Status timed_out = client_->Exec(sleeper, {"sleep", "4343"}, 1, &response);
  EXPECT_EQ(timed_out.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << timed_out.error_message();
  EXPECT_THAT(ExecSync(sleeper, {"/bin/busybox", "ps", "-o", "args"}).stdout(), ::testing::Not(HasSubstr("sleep 4343")));
  EXPECT_THAT(ProcessesMatching("sleep 4343", ""), ::testing::IsEmpty());

  ASSERT_TRUE(client_->Stop(sleeper, 1).ok());
  const v1::ContainerStatus stopped = client_->StatusOf(sleeper);
  EXPECT_EQ(stopped.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped.exit_code(), 137);  // sleep as PID 1 ignores SIGTERM: killed after the timeout
  ASSERT_TRUE(client_->Remove(sleeper).ok());
  ASSERT_TRUE(client_->Remove(quitter).ok());
  EXPECT_TRUE(client_->List().empty());

  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  EXPECT_TRUE(client_->ListPods().empty());
  // TearDown checks that the shim, its socket and the mounts are gone.
}

TEST_F(VmHandler, ContainersSurviveADaemonCrash) {
  const TestPod pod = RunPod("vm-crash", kHandler);
  const std::string chatter =
      RunContainer(pod, "chatter", {"sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"});
  const std::string quitter = RunContainer(pod, "quitter", {"sh", "-c", "sleep 2; exit 5"});

  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  const size_t logged_at_crash = LogOf("chatter").size();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the quitter exits while cloisond is down
  EXPECT_GT(LogOf("chatter").size(), logged_at_crash);  // the monitor kept draining the output
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);

  EXPECT_EQ(client_->StatusOf(chatter).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(ExecSync(chatter, {"echo", "alive"}).stdout(), "alive\n");  // a new connection to the shim
  const v1::ContainerStatus quit = client_->StatusOf(quitter);
  EXPECT_EQ(quit.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(quit.exit_code(), 5);

  ASSERT_TRUE(client_->Stop(chatter, 0).ok());
  EXPECT_EQ(client_->StatusOf(chatter).exit_code(), 137);
  ASSERT_TRUE(client_->Remove(chatter).ok());
  ASSERT_TRUE(client_->Remove(quitter).ok());
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
}

}  // namespace
}  // namespace cloison::testing
