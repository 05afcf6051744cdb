// Integration tests of runtime handlers through cloisond: the mixed-isolation scenario (one
// node, a runc pod next to a gVisor pod), pods on Debian's runsc as an OCI runtime, handler
// selection by name and by the legacy untrusted-workload annotations, a container always on its
// pod's handler whatever its annotations. Skipped without runsc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kConfig[] = "untrusted_workload_runtime = \"runsc\"\n";

std::string HostKernelRelease() {
  utsname name{};
  uname(&name);
  return std::string(name.release) + "\n";
}

// Roots of the runsc-sandbox process trees whose command line mentions `needle`: the Sentry
// and the ptrace stubs it forks share one command line, so a process whose parent matches too
// is not counted.
size_t RunscSandboxTrees(const std::string& needle) {
  std::map<int, int> parent_of;
  for (int pid : ProcessesMatching("runsc-sandbox", needle)) {
    const int ppid = ParentOf(pid);
    if (ppid >= 0) parent_of[pid] = ppid;
  }
  size_t roots = 0;
  for (const auto& [pid, ppid] : parent_of) roots += parent_of.contains(ppid) ? 0 : 1;
  return roots;
}

class Handlers : public PodFixture {
 protected:
  Handlers() : PodFixture(kConfig) {}

  void SetUp() override {
    if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
    PodFixture::SetUp();
  }

  void TearDown() override {
    PodFixture::TearDown();
    if (daemon_.pid() > 0) {
      EXPECT_EQ(RunscSandboxTrees(daemon_.dir().path().string()), 0u);
    }
  }

  std::string ExecOut(const std::string& id, const std::vector<std::string>& command) {
    return ExecSync(id, command).stdout();
  }
};

TEST_F(Handlers, MixedIsolationOnOneNode) {
  const TestPod trusted = RunPod("trusted");
  const TestPod untrusted = RunPod("untrusted", "runsc");
  const std::string runc_box = RunContainer(trusted, "box", {"sleep", "1000"});
  const std::string runsc_box = RunContainer(untrusted, "box", {"sleep", "1000"});

  EXPECT_EQ(ExecOut(runc_box, {"uname", "-r"}), HostKernelRelease());
  const std::string gvisor_release = ExecOut(runsc_box, {"uname", "-r"});
  EXPECT_NE(gvisor_release, HostKernelRelease());
  EXPECT_EQ(gvisor_release, "4.4.0\n");  // what gVisor reports

  v1::PodSandboxStatusResponse status;
  ASSERT_TRUE(client_->PodStatus(untrusted.id, &status).ok());
  EXPECT_EQ(status.status().runtime_handler(), "runsc");
  EXPECT_EQ(status.status().state(), v1::SANDBOX_READY);
  ASSERT_TRUE(client_->PodStatus(trusted.id, &status).ok());
  EXPECT_EQ(status.status().runtime_handler(), "runc");
  EXPECT_EQ(client_->ListPods().size(), 2u);
  EXPECT_EQ(client_->List().size(), 2u);  // infra containers are not listed
  EXPECT_EQ(client_->StatusOf(runsc_box).state(), v1::CONTAINER_RUNNING);
}

TEST_F(Handlers, RunscContainersLogExitStopAndExec) {
  const TestPod pod = RunPod("gv", "runsc");
  const std::string quitter = RunContainer(pod, "quitter", {"sh", "-c", "echo out; echo err >&2; exit 3"});
  const v1::ContainerStatus quit = client_->WaitExited(quitter);
  EXPECT_EQ(quit.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(quit.exit_code(), 3);
  EXPECT_EQ(quit.reason(), "Error");
  const std::string log = LogOf("quitter");
  EXPECT_THAT(log, HasSubstr(" stdout F out\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F err\n"));

  const std::string sleeper = RunContainer(pod, "sleeper", {"sleep", "1000"});
  v1::ExecSyncResponse response;
  ASSERT_TRUE(client_->Exec(sleeper, {"sh", "-c", "echo to-out; echo to-err >&2; exit 7"}, 20, &response).ok());
  EXPECT_EQ(response.stdout(), "to-out\n");
  EXPECT_EQ(response.stderr(), "to-err\n");
  EXPECT_EQ(response.exit_code(), 7);

  // runsc quirk: killing the host-side `runsc exec` leaves the process in the sandbox.
  const auto started = std::chrono::steady_clock::now();
  const grpc::Status timed_out = client_->Exec(sleeper, {"sleep", "100"}, 1, &response);
  EXPECT_EQ(timed_out.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << timed_out.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  const std::string processes = ExecOut(sleeper, {"/bin/busybox", "ps", "-o", "args"});
  EXPECT_THAT(processes, HasSubstr("sleep 1000"));
  EXPECT_THAT(processes, ::testing::Not(HasSubstr("sleep 100\n")));

  const auto stop_started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_->Stop(sleeper, 1).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(15));
  const v1::ContainerStatus stopped = client_->StatusOf(sleeper);
  EXPECT_EQ(stopped.state(), v1::CONTAINER_EXITED);
  EXPECT_THAT(stopped.exit_code(), ::testing::AnyOf(137, 143));
  ASSERT_TRUE(client_->Stop(sleeper, 1).ok());  // idempotent
  ASSERT_TRUE(client_->Remove(sleeper).ok());

  // Stopping the pod stops the sandbox; stopping and removing again never hangs.
  const auto pod_stop_started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  EXPECT_EQ(RunscSandboxTrees(pod.id), 0u);
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - pod_stop_started, std::chrono::seconds(30));
  EXPECT_TRUE(client_->List().empty());
}

TEST_F(Handlers, RunscPodIsOneSandboxSharingLocalhost) {
  const TestPod pod = RunPod("duo", "runsc");
  EXPECT_EQ(RunscSandboxTrees(pod.id), 1u);
  // (busybox wget over loopback fails with EAGAIN under --network=host; nc works.)
  const std::string server =
      RunContainer(pod, "server", {"/bin/busybox", "nc", "-ll", "-p", "8080", "-e", "/bin/echo", "hi"});
  const std::string client = RunContainer(pod, "client", {"sleep", "1000"});
  EXPECT_EQ(RunscSandboxTrees(pod.id), 1u);  // both containers joined the infra container's sandbox

  v1::ExecSyncResponse response;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(client_->Exec(client, {"/bin/busybox", "nc", "127.0.0.1", "8080"}, 10, &response).ok());
    if (response.stdout() == "hi\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(response.stdout(), "hi\n") << response.stderr() << " (server " << client_->StatusOf(server).state() << ")\n"
                                       << LogOf("server");
  // Each container keeps its own PID namespace inside the sandbox (the pod does not share one).
  EXPECT_THAT(ExecOut(client, {"/bin/busybox", "ps", "-o", "args"}), ::testing::Not(HasSubstr("nc -ll")));
}

TEST_F(Handlers, UnknownHandlerIsNotFoundNamingTheConfiguredOnes) {
  std::string id;
  const grpc::Status status = client_->RunPod(PodConfig("lost", log_dir_), &id, "kata-nope");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("\"kata-nope\""));
  EXPECT_THAT(status.error_message(), HasSubstr("configured handlers: runc, runsc"));
  EXPECT_TRUE(client_->ListPods().empty());
}

TEST_F(Handlers, LegacyAnnotationsSelectTheUntrustedHandler) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"io.kubernetes.cri.untrusted-workload", "true"}, {"io.kubernetes.cri-o.TrustedSandbox", "false"}}) {
    TestPod pod{"", PodConfig("legacy", log_dir_)};
    (*pod.config.mutable_annotations())[key] = value;
    ASSERT_TRUE(client_->RunPod(pod.config, &pod.id).ok()) << daemon_.Log();
    v1::PodSandboxStatusResponse status;
    ASSERT_TRUE(client_->PodStatus(pod.id, &status).ok());
    EXPECT_EQ(status.status().runtime_handler(), "runsc") << key;
    const std::string box = RunContainer(pod, "box", {"sleep", "1000"});
    EXPECT_EQ(ExecOut(box, {"uname", "-r"}), "4.4.0\n") << key;
    ASSERT_TRUE(client_->StopPod(pod.id).ok());
    ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  }
}

TEST_F(Handlers, ContainerAnnotationsCannotChangeThePodsHandler) {
  // CreateContainer has no handler field; handler annotations on a container are ignored: a
  // container always runs on its pod's handler.
  const TestPod runc_pod = RunPod("plain");
  const TestPod runsc_pod = RunPod("gv", "runsc");
  const std::map<std::string, std::string> runsc_asks = {
      {"io.kubernetes.cri.untrusted-workload", "true"},
      {"io.kubernetes.cri-o.TrustedSandbox", "false"},
      {"io.kubernetes.cri.runtime-handler", "runsc"},
      {"io.kubernetes.cri-o.RuntimeHandler", "runsc"}};
  v1::ContainerConfig on_runc = ContainerConfig("asks-runsc", image_, {"sleep", "1000"});
  on_runc.mutable_annotations()->insert(runsc_asks.begin(), runsc_asks.end());
  std::string runc_box;
  ASSERT_TRUE(client_->Create(runc_pod.id, on_runc, runc_pod.config, &runc_box).ok()) << daemon_.Log();
  ASSERT_TRUE(client_->Start(runc_box).ok()) << daemon_.Log();
  EXPECT_EQ(ExecOut(runc_box, {"uname", "-r"}), HostKernelRelease());

  v1::ContainerConfig on_runsc = ContainerConfig("asks-trusted", image_, {"sleep", "1000"});
  (*on_runsc.mutable_annotations())["io.kubernetes.cri.untrusted-workload"] = "false";
  std::string runsc_box;
  ASSERT_TRUE(client_->Create(runsc_pod.id, on_runsc, runsc_pod.config, &runsc_box).ok()) << daemon_.Log();
  ASSERT_TRUE(client_->Start(runsc_box).ok()) << daemon_.Log();
  EXPECT_EQ(ExecOut(runsc_box, {"uname", "-r"}), "4.4.0\n");
  EXPECT_EQ(RunscSandboxTrees(runc_pod.id), 0u);
  EXPECT_EQ(RunscSandboxTrees(runsc_pod.id), 1u);
}

}  // namespace
}  // namespace cloison::testing
