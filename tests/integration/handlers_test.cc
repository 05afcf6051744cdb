// Integration tests of runtime handlers through cloisond: the mixed-isolation scenario (one
// node, a runc pod next to a gVisor pod), pods on Debian's runsc as an OCI runtime, handler
// selection by name and by the legacy untrusted-workload annotations, a container always on its
// pod's handler whatever its annotations. Skipped without runsc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cri_client.h"
#include "local_registry.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kConfig[] = "untrusted_workload_runtime = \"runsc\"\n";

// Mount points under `dir` in this (the host's) mount namespace.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<std::string> found;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mount_point;
    fields >> id >> parent >> devices >> root >> mount_point;
    if (mount_point.rfind(dir, 0) == 0) found.push_back(mount_point);
  }
  return found;
}

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
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = CloisondProcess::ReadFile(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.rfind("runsc-sandbox", 0) != 0 || cmdline.find(needle) == std::string::npos) continue;
    const std::string stat = CloisondProcess::ReadFile(entry.path().string() + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));
    std::string state;
    int ppid = 0;
    fields >> state >> ppid;
    parent_of[std::stoi(name)] = ppid;
  }
  size_t roots = 0;
  for (const auto& [pid, ppid] : parent_of) roots += parent_of.contains(ppid) ? 0 : 1;
  return roots;
}

class Handlers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
    registry_ = LocalRegistry::Start();
    ASSERT_NE(registry_, nullptr);
    registry_->Push("busybox", "library/busybox:1.0");
    image_ = registry_->host() + "/library/busybox:1.0";
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
    ASSERT_TRUE(client_->Pull(image_).ok());
    log_dir_ = (daemon_.dir().path() / "pod-logs").string();
  }

  void TearDown() override {
    if (daemon_.pid() <= 0) return;
    for (const v1::PodSandbox& pod : client_->ListPods()) {
      EXPECT_TRUE(client_->StopPod(pod.id()).ok());
      EXPECT_TRUE(client_->RemovePod(pod.id()).ok());
    }
    const std::string dir = daemon_.dir().path().string();
    EXPECT_THAT(MountsUnder(dir), ::testing::IsEmpty()) << daemon_.Log();
    EXPECT_EQ(RunscSandboxTrees(dir), 0u);
  }

  // Runs a pod on `handler`; returns its id.
  std::string RunPod(const std::string& name, const std::string& handler, v1::PodSandboxConfig* config) {
    *config = PodConfig(name, log_dir_);
    std::string pod_id;
    const grpc::Status status = client_->RunPod(*config, &pod_id, handler);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return pod_id;
  }

  // Creates and starts a container running `command` in the pod; returns its id.
  std::string RunContainer(const std::string& pod_id, const v1::PodSandboxConfig& pod_config, const std::string& name,
                           const std::vector<std::string>& command) {
    std::string id;
    grpc::Status status = client_->Create(pod_id, ContainerConfig(name, image_, command), pod_config, &id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    status = client_->Start(id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return id;
  }

  std::string ExecOut(const std::string& id, const std::vector<std::string>& command) {
    v1::ExecSyncResponse response;
    const grpc::Status status = client_->Exec(id, command, 20, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.stdout();
  }

  std::unique_ptr<LocalRegistry> registry_;
  std::string image_;
  CloisondProcess daemon_{kConfig};
  std::unique_ptr<CriClient> client_;
  std::string log_dir_;
};

TEST_F(Handlers, MixedIsolationOnOneNode) {
  v1::PodSandboxConfig trusted_config, untrusted_config;
  const std::string trusted = RunPod("trusted", "", &trusted_config);
  const std::string untrusted = RunPod("untrusted", "runsc", &untrusted_config);
  const std::string runc_box = RunContainer(trusted, trusted_config, "box", {"sleep", "1000"});
  const std::string runsc_box = RunContainer(untrusted, untrusted_config, "box", {"sleep", "1000"});

  EXPECT_EQ(ExecOut(runc_box, {"uname", "-r"}), HostKernelRelease());
  const std::string gvisor_release = ExecOut(runsc_box, {"uname", "-r"});
  EXPECT_NE(gvisor_release, HostKernelRelease());
  EXPECT_EQ(gvisor_release, "4.4.0\n");  // what gVisor reports

  v1::PodSandboxStatusResponse status;
  ASSERT_TRUE(client_->PodStatus(untrusted, &status).ok());
  EXPECT_EQ(status.status().runtime_handler(), "runsc");
  EXPECT_EQ(status.status().state(), v1::SANDBOX_READY);
  ASSERT_TRUE(client_->PodStatus(trusted, &status).ok());
  EXPECT_EQ(status.status().runtime_handler(), "runc");
  EXPECT_EQ(client_->ListPods().size(), 2u);
  EXPECT_EQ(client_->List().size(), 2u);  // infra containers are not listed
  EXPECT_EQ(client_->StatusOf(runsc_box).state(), v1::CONTAINER_RUNNING);
}

TEST_F(Handlers, RunscContainersLogExitStopAndExec) {
  v1::PodSandboxConfig config;
  const std::string pod = RunPod("gv", "runsc", &config);
  const std::string quitter = RunContainer(pod, config, "quitter", {"sh", "-c", "echo out; echo err >&2; exit 3"});
  const v1::ContainerStatus quit = client_->WaitExited(quitter);
  EXPECT_EQ(quit.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(quit.exit_code(), 3);
  EXPECT_EQ(quit.reason(), "Error");
  const std::string log = CloisondProcess::ReadFile(log_dir_ + "/quitter.log");
  EXPECT_THAT(log, HasSubstr(" stdout F out\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F err\n"));

  const std::string sleeper = RunContainer(pod, config, "sleeper", {"sleep", "1000"});
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
  ASSERT_TRUE(client_->StopPod(pod).ok());
  ASSERT_TRUE(client_->StopPod(pod).ok());
  EXPECT_EQ(RunscSandboxTrees(pod), 0u);
  ASSERT_TRUE(client_->RemovePod(pod).ok());
  ASSERT_TRUE(client_->RemovePod(pod).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - pod_stop_started, std::chrono::seconds(30));
  EXPECT_TRUE(client_->List().empty());
}

TEST_F(Handlers, RunscPodIsOneSandboxSharingLocalhost) {
  v1::PodSandboxConfig config;
  const std::string pod = RunPod("duo", "runsc", &config);
  EXPECT_EQ(RunscSandboxTrees(pod), 1u);
  // (busybox wget over loopback fails with EAGAIN under --network=host; nc works.)
  const std::string server =
      RunContainer(pod, config, "server", {"/bin/busybox", "nc", "-ll", "-p", "8080", "-e", "/bin/echo", "hi"});
  const std::string client = RunContainer(pod, config, "client", {"sleep", "1000"});
  EXPECT_EQ(RunscSandboxTrees(pod), 1u);  // both containers joined the infra container's sandbox

  v1::ExecSyncResponse response;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(client_->Exec(client, {"/bin/busybox", "nc", "127.0.0.1", "8080"}, 10, &response).ok());
    if (response.stdout() == "hi\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(response.stdout(), "hi\n") << response.stderr() << " (server " << client_->StatusOf(server).state() << ")\n"
                                       << CloisondProcess::ReadFile(log_dir_ + "/server.log");
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
    v1::PodSandboxConfig config = PodConfig("legacy", log_dir_);
    (*config.mutable_annotations())[key] = value;
    std::string pod;
    ASSERT_TRUE(client_->RunPod(config, &pod).ok()) << daemon_.Log();
    v1::PodSandboxStatusResponse status;
    ASSERT_TRUE(client_->PodStatus(pod, &status).ok());
    EXPECT_EQ(status.status().runtime_handler(), "runsc") << key;
    const std::string box = RunContainer(pod, config, "box", {"sleep", "1000"});
    EXPECT_EQ(ExecOut(box, {"uname", "-r"}), "4.4.0\n") << key;
    ASSERT_TRUE(client_->StopPod(pod).ok());
    ASSERT_TRUE(client_->RemovePod(pod).ok());
  }
}

TEST_F(Handlers, ContainerAnnotationsCannotChangeThePodsHandler) {
  // CreateContainer has no handler field; handler annotations on a container are ignored: a
  // container always runs on its pod's handler.
  v1::PodSandboxConfig runc_config, runsc_config;
  const std::string runc_pod = RunPod("plain", "", &runc_config);
  const std::string runsc_pod = RunPod("gv", "runsc", &runsc_config);
  const std::map<std::string, std::string> runsc_asks = {
      {"io.kubernetes.cri.untrusted-workload", "true"},
      {"io.kubernetes.cri-o.TrustedSandbox", "false"},
      {"io.kubernetes.cri.runtime-handler", "runsc"},
      {"io.kubernetes.cri-o.RuntimeHandler", "runsc"}};
  v1::ContainerConfig on_runc = ContainerConfig("asks-runsc", image_, {"sleep", "1000"});
  on_runc.mutable_annotations()->insert(runsc_asks.begin(), runsc_asks.end());
  std::string runc_box;
  ASSERT_TRUE(client_->Create(runc_pod, on_runc, runc_config, &runc_box).ok()) << daemon_.Log();
  ASSERT_TRUE(client_->Start(runc_box).ok()) << daemon_.Log();
  EXPECT_EQ(ExecOut(runc_box, {"uname", "-r"}), HostKernelRelease());

  v1::ContainerConfig on_runsc = ContainerConfig("asks-trusted", image_, {"sleep", "1000"});
  (*on_runsc.mutable_annotations())["io.kubernetes.cri.untrusted-workload"] = "false";
  std::string runsc_box;
  ASSERT_TRUE(client_->Create(runsc_pod, on_runsc, runsc_config, &runsc_box).ok()) << daemon_.Log();
  ASSERT_TRUE(client_->Start(runsc_box).ok()) << daemon_.Log();
  EXPECT_EQ(ExecOut(runsc_box, {"uname", "-r"}), "4.4.0\n");
  EXPECT_EQ(RunscSandboxTrees(runc_pod), 0u);
  EXPECT_EQ(RunscSandboxTrees(runsc_pod), 1u);
}

}  // namespace
}  // namespace cloison::testing
