// Integration tests of a "vm" runtime handler through cloisond, driven with Debian's
// containerd-shim-runc-v2 (the shim v2 protocol Kata's containerd-shim-kata-v2 speaks): pod
// and container lifecycle, CRI logs, ExecSync, exits, stop, one shim per pod, cleanup of the
// shim, its socket and the mounts, recovery after cloisond is SIGKILLed (also of a
// CreateContainer it cut short), the shim's log drained for the pod's life and OOM kills
// reported by the shim's event. Skipped when the shim is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kHandler[] = "runc-shim";
// runc-shim-noinfra: pods without an infra container, whose first app container starts the shim.
constexpr char kConfig[] =
    "[runtimes.runc-shim]\nruntime_type = \"vm\"\nruntime_path = \"containerd-shim-runc-v2\"\n"
    "[runtimes.runc-shim-noinfra]\nruntime_type = \"vm\"\nruntime_path = \"containerd-shim-runc-v2\"\n"
    "sandbox_mode = \"auto\"\n";

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

// The processes holding `path` (or what was at `path` before it was removed) open with access
// mode `mode` (O_RDONLY, O_WRONLY), with their process names.
std::vector<std::pair<int, std::string>> HoldersOf(const std::string& path, int mode) {
  std::vector<std::pair<int, std::string>> holders;
  std::error_code ec;
  for (const auto& process : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = process.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    for (const auto& fd : std::filesystem::directory_iterator(process.path() / "fd", ec)) {
      const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
      if (target != path && target != path + " (deleted)") continue;
      const std::string info =
          ReadText((process.path() / "fdinfo" / fd.path().filename()).string());
      const size_t flags = info.find("flags:");
      if (flags == std::string::npos ||
          static_cast<int>(std::stoul(info.substr(flags + 6), nullptr, 8) & O_ACCMODE) != mode) {
        continue;
      }
      holders.emplace_back(std::stoi(pid), ProcessName(process.path()));
    }
  }
  return holders;
}

std::vector<std::pair<int, std::string>> ReadersOf(const std::string& path) { return HoldersOf(path, O_RDONLY); }

bool HasProcessNamed(const std::vector<std::pair<int, std::string>>& processes, const std::string& name) {
  return std::any_of(processes.begin(), processes.end(), [&](const auto& process) { return process.second == name; });
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
    // RemovePodSandbox returns with the pod's shim gone (its last task's Delete waits for it);
    // the waits here are for a shim that no Delete waited for.
    const std::string dir = daemon_.dir().path().string();
    WaitUntil([&] { return OurShims(dir).empty(); }, std::chrono::seconds(30));
    const std::vector<int> shims = OurShims(dir);
    EXPECT_THAT(shims, ::testing::IsEmpty()) << daemon_.Log();
    for (int pid : shims) kill(pid, SIGKILL);  // never leave one behind
    for (const std::string& socket : shim_sockets_) {
      WaitUntil([&] { return access(socket.c_str(), F_OK) != 0; }, std::chrono::seconds(10));
      EXPECT_NE(access(socket.c_str(), F_OK), 0) << socket << " is left behind";
    }
  }

  // PodFixture::RunContainer, remembering the socket of the container's shim for TearDown.
  std::string RunContainer(const TestPod& pod, const v1::ContainerConfig& config) {
    const std::string id = PodFixture::RunContainer(pod, config);
    const std::string address =
        ReadText((daemon_.dir().path() / "state/containers" / id / "shim-address").string());
    EXPECT_FALSE(address.empty());
    if (!address.empty()) shim_sockets_.push_back(SocketPath(address));
    return id;
  }

  std::string RunContainer(const TestPod& pod, const std::string& name, const std::vector<std::string>& command) {
    return RunContainer(pod, ContainerConfig(name, image_, command));
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

// The container whose `start` made the pod's shim (no infra container here) exits first: the
// shim's log FIFO keeps a reader after that container's monitor is gone, while the pod's other
// containers run, and none once the shim went with the pod.
TEST_F(VmHandler, ShimLogStaysDrainedAfterTheFirstContainerExits) {
  const TestPod pod = RunPod("vm-shimlog", "runc-shim-noinfra");
  const std::string first = RunContainer(pod, "first", {"sh", "-c", "exit 0"});
  EXPECT_EQ(client_->WaitExited(first).state(), v1::CONTAINER_EXITED);
  const std::string second = RunContainer(pod, "second", {"sleep", "4646"});
  const std::string fifo = (daemon_.dir().path() / "state/containers" / first / "log").string();
  std::vector<std::pair<int, std::string>> readers;
  WaitUntil(
      [&] {
        readers = ReadersOf(fifo);
        return !HasProcessNamed(readers, "cloison-monitor");
      },
      std::chrono::seconds(10));
  EXPECT_FALSE(HasProcessNamed(readers, "cloison-monitor")) << "the first container's monitor is still there";
  EXPECT_FALSE(readers.empty()) << "nothing reads the shim's log any more";
  EXPECT_EQ(client_->StatusOf(second).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(ExecSync(second, {"echo", "alive"}).stdout(), "alive\n");

  ASSERT_TRUE(client_->Remove(first).ok());  // its state dir (and the FIFO's name) go; the shim stays
  EXPECT_EQ(ExecSync(second, {"echo", "still"}).stdout(), "still\n");
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  WaitUntil([&] { return ReadersOf(fifo).empty(); }, std::chrono::seconds(10));
  EXPECT_THAT(ReadersOf(fifo), ::testing::IsEmpty()) << "the log's reader outlived the shim";
}

// The shim's log is the pod's file: after the container whose `start` made the shim is removed
// (with its state dir, where the shim's log FIFO is), the log is where it was and readable, and
// the shim's lines still go there (through its monitor's cloison-shimlog child) until the shim
// exits with the pod; RemovePodSandbox removes it.
TEST_F(VmHandler, ShimLogOutlivesTheFirstContainerAndGoesWithThePod) {
  const TestPod pod = RunPod("vm-shimlog-file", "runc-shim-noinfra");
  const std::string shim_log = (daemon_.dir().path() / "state/sandboxes" / pod.id / "shim.log").string();
  const std::string first = RunContainer(pod, "first", {"sh", "-c", "exit 0"});
  EXPECT_EQ(client_->WaitExited(first).state(), v1::CONTAINER_EXITED);
  const std::string second = RunContainer(pod, "second", {"sleep", "4848"});
  ASSERT_TRUE(client_->Remove(first).ok());
  EXPECT_FALSE(std::filesystem::exists(daemon_.dir().path() / "state/containers" / first));

  EXPECT_TRUE(WaitUntil([&] { return HasProcessNamed(HoldersOf(shim_log, O_WRONLY), "cloison-shimlog"); }))
      << "nothing drains the shim's log into " << shim_log;
  // containerd-shim-runc-v2 logs its plugins and its signal loop as it starts.
  EXPECT_THAT(ReadText(shim_log), HasSubstr("level=info")) << shim_log;
  EXPECT_EQ(ExecSync(second, {"echo", "alive"}).stdout(), "alive\n");

  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  EXPECT_FALSE(std::filesystem::exists(shim_log)) << shim_log << " outlived the pod";
}

// A memory-limited container OOM-killed under the shim: the shim's /tasks/oom event reaches
// cloisond, which records the exit as OOMKilled (for Kata this event is the only witness: the
// kill happens inside the VM).
TEST_F(VmHandler, OomKillIsReportedByTheShimEvent) {
  const TestPod pod = RunPod("vm-oom", kHandler);
  // The hog allocates only once /go exists, made after StartContainer returned: the shim
  // watches the task's OOM events from the end of its Start on, and an OOM kill before that is
  // not reported (a CI flake, and still a race with a fixed pause on a loaded machine).
  v1::ContainerConfig config = ContainerConfig(
      "hog", image_,
      {"/bin/busybox", "sh", "-c",
       "until /bin/busybox test -e /go; do /bin/busybox sleep 0.1; done; "
       "exec /bin/busybox dd if=/dev/zero of=/dev/null bs=100M count=1"});
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(20 << 20);
  config.mutable_linux()->mutable_resources()->set_memory_swap_limit_in_bytes(20 << 20);
  const std::string id = RunContainer(pod, config);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ExecSync(id, {"/bin/busybox", "touch", "/go"}).exit_code(), 0);
  const v1::ContainerStatus exited = client_->WaitExited(id, std::chrono::seconds(30));
  EXPECT_EQ(exited.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(exited.exit_code(), 137);
  EXPECT_EQ(exited.reason(), "OOMKilled") << daemon_.Log();
  WaitUntil([&] { return daemon_.Log().find(id + ": its shim reports an OOM kill") != std::string::npos; });
  EXPECT_THAT(daemon_.Log(), HasSubstr(id + ": its shim reports an OOM kill"));
  ASSERT_TRUE(client_->Remove(id).ok());
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
}

// The marker of a CreateContainer cut short after its monitor had the shim create the task:
// creating, without pids. The monitor wrote the pid the shim reported to the state dir's
// `pidfile`, as an OCI runtime's create does, so recovery sees the container made and deletes it
// at once instead of waiting for the recovery deadline (then with a warning); nothing of it is
// left, and the pod takes new containers.
TEST_F(VmHandler, AnInterruptedCreateContainerSettlesOnThePidfileTheMonitorWrote) {
  const TestPod pod = RunPod("vm-create", kHandler);
  std::string id;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("victim", image_, {"sleep", "5252"}), pod.config, &id).ok())
      << daemon_.Log();
  const std::filesystem::path state_dir = daemon_.dir().path() / "state/containers" / id;
  EXPECT_GT(std::atoi(ReadText((state_dir / "pidfile").string()).c_str()), 0) << "no pid in the monitor's pidfile";
  ASSERT_FALSE(ProcessesNaming("--id " + id).empty());  // its monitor, waiting for StartContainer
  CrashDaemon();
  RewriteRecord("containers", id, [](nlohmann::json& record) {
    record["state"] = "creating";
    record["pid"] = 0;
    record["monitorPid"] = 0;
  });
  RestartDaemon();

  EXPECT_THAT(client_->List(), ::testing::IsEmpty());
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(id).empty(); }, std::chrono::seconds(30)))
      << "left running: " << ::testing::PrintToString(ProcessesNaming(id)) << daemon_.Log();
  EXPECT_FALSE(std::filesystem::exists(state_dir));
  EXPECT_THAT(daemon_.Log(), ::testing::Not(HasSubstr("at the recovery deadline")));
  const std::string next = RunContainer(pod, "next", {"sleep", "5353"});
  EXPECT_EQ(ExecSync(next, {"echo", "alive"}).stdout(), "alive\n");
}

// The same for a RunPodSandbox cut short while the infra container was being made (its record
// creating, the infra container named but not recorded running, nothing else recorded): the
// infra container's monitor wrote the pidfile, so recovery deletes it at once, and the pod's
// shim, monitor and mounts are gone.
TEST_F(VmHandler, AnInterruptedRunPodSandboxSettlesOnThePidfileTheMonitorWrote) {
  const TestPod pod = RunPod("vm-run", kHandler);
  ASSERT_FALSE(pod.id.empty());
  ASSERT_EQ(OurShims(daemon_.dir().path().string()).size(), 1u);
  CrashDaemon();
  RewriteToInterruptedRun(pod.id);
  RestartDaemon();

  EXPECT_THAT(client_->ListPods(), ::testing::IsEmpty());
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(pod.id).empty(); }, std::chrono::seconds(30)))
      << "left running: " << ::testing::PrintToString(ProcessesNaming(pod.id)) << daemon_.Log();
  EXPECT_TRUE(WaitUntil([&] { return OurShims(daemon_.dir().path().string()).empty(); }, std::chrono::seconds(30)));
  EXPECT_FALSE(std::filesystem::exists(daemon_.dir().path() / "state/sandboxes" / pod.id));
  EXPECT_THAT(daemon_.Log(), ::testing::Not(HasSubstr("at the recovery deadline")));
}

// RemoveContainer of a running container whose monitor's `start` made the pod's shim (no infra
// container), while another container runs under that shim: the removed container's monitor
// ends by itself once its task is deleted, handing the shim's log FIFO to its cloison-shimlog
// child, rather than being killed before it could (the monitor kill that follows a Delete is
// for monitors that would never end).
TEST_F(VmHandler, RemovingTheContainerThatStartedTheShimKeepsTheShimsLogDrained) {
  const TestPod pod = RunPod("vm-shimlog-remove", "runc-shim-noinfra");
  const std::string first = RunContainer(pod, "first", {"sleep", "5454"});
  const std::string second = RunContainer(pod, "second", {"sleep", "5555"});
  const std::string fifo = (daemon_.dir().path() / "state/containers" / first / "log").string();
  ASSERT_TRUE(HasProcessNamed(ReadersOf(fifo), "cloison-monitor"));

  ASSERT_TRUE(client_->Remove(first).ok()) << daemon_.Log();
  // The child names itself after its fork, maybe after Remove returned.
  EXPECT_TRUE(WaitUntil([&] { return HasProcessNamed(ReadersOf(fifo), "cloison-shimlog"); }, std::chrono::seconds(10)))
      << "nothing reads the shim's log any more";
  EXPECT_EQ(ExecSync(second, {"echo", "alive"}).stdout(), "alive\n");
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  WaitUntil([&] { return ReadersOf(fifo).empty(); }, std::chrono::seconds(10));
  EXPECT_THAT(ReadersOf(fifo), ::testing::IsEmpty()) << "the log's reader outlived the shim";
}

// The pod's shim dies (SIGKILLed here; in a chaos round it had exited after deleting the infra
// task, cloisond killed before it forgot the task): StopPodSandbox and RemovePodSandbox clean up
// with `<shim> delete`, which finds the task's files in the directory named after the task next
// to its working directory, as containerd lays bundles out. The infra container's bundle is the
// pod's "infra" dir: cloisond hands it over under the task's name (the pod's removal used to
// fail for ever with "open .../<pod id>/<pod id>/runtime: no such file or directory"), and the
// dead shim's socket goes (it used to stay in /run/containerd/s).
TEST_F(VmHandler, APodWhoseShimDiedStopsAndGoes) {
  const TestPod pod = RunPod("vm-shim-died", kHandler);
  ASSERT_FALSE(pod.id.empty());
  const std::string dir = daemon_.dir().path().string();
  const std::vector<int> shims = OurShims(dir);
  ASSERT_EQ(shims.size(), 1u) << daemon_.Log();
  const std::string socket = SocketPath(
      ReadText((daemon_.dir().path() / "state/sandboxes" / pod.id / "infra/shim-address").string()));
  ASSERT_FALSE(socket.empty());
  kill(shims[0], SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return OurShims(dir).empty(); }, std::chrono::seconds(10)));

  const grpc::Status stopped = client_->StopPod(pod.id);
  EXPECT_TRUE(stopped.ok()) << stopped.error_message();
  const grpc::Status removed = client_->RemovePod(pod.id);
  EXPECT_TRUE(removed.ok()) << removed.error_message() << daemon_.Log();
  EXPECT_THAT(client_->ListPods(), ::testing::IsEmpty());
  // The shim's runc forgot the infra container, whose process is gone.
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path("/run/containerd/runc/cloison") / pod.id));
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(pod.id).empty(); }, std::chrono::seconds(10)))
      << "left running: " << ::testing::PrintToString(ProcessesNaming(pod.id));
  const std::filesystem::path tasks = daemon_.dir().path() / "state/runtimes" / kHandler / "tasks";
  EXPECT_TRUE(!std::filesystem::exists(tasks) || std::filesystem::is_empty(tasks))
      << "a task record or bundle link is left";
  EXPECT_NE(access(socket.c_str(), F_OK), 0) << "the dead shim's socket " << socket << " is left behind";
}

// How long `call` took.
template <typename Call>
std::chrono::steady_clock::duration Timed(Call call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::steady_clock::now() - start;
}

// The pod's shim is SIGKILLed under two running containers. The address each container's
// monitor wrote was reported by the shim's `start`, which listens before it prints it, so
// cloisond takes the dead-shim path at once: every call that reaches the shim used to retry its
// connection for 5 s first (StopContainer's kill, StopPodSandbox's kill of the infra container,
// each of RemovePodSandbox's three deletes: 5, 5 and 15 s at least). The bounds leave more than
// a second of margin to the old minimums. The first container's monitor is stopped until a
// second into StopContainer, so that its exit is not recorded yet and the kill reaches the shim.
TEST_F(VmHandler, CallsOnAPodWhoseShimDiedDoNotWaitForIt) {
  const TestPod pod = RunPod("vm-shim-killed", kHandler);
  ASSERT_FALSE(pod.id.empty());
  const std::string first = RunContainer(pod, "first", {"sleep", "6161"});
  const std::string second = RunContainer(pod, "second", {"sleep", "6262"});
  const std::string dir = daemon_.dir().path().string();
  const std::vector<int> shims = OurShims(dir);
  ASSERT_EQ(shims.size(), 1u) << daemon_.Log();
  std::vector<int> monitors = ProcessesNaming("--id " + first);
  std::erase_if(monitors, [](int pid) { return ProcessName("/proc/" + std::to_string(pid)) != "cloison-monitor"; });
  ASSERT_EQ(monitors.size(), 1u);
  const int monitor = monitors[0];
  ASSERT_EQ(kill(monitor, SIGSTOP), 0);
  struct Resume {
    int pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume_at_the_end{monitor};
  kill(shims[0], SIGKILL);
  // Until it is a zombie: a dying process's command line reads empty before it closed its files.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(shims[0]);
        return !stat.ok() || stat->Exited();
      },
      std::chrono::seconds(10)));

  std::thread resume([monitor] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    kill(monitor, SIGCONT);
  });
  grpc::Status stopped;
  const auto stop_took = Timed([&] { stopped = client_->Stop(first, 0); });
  resume.join();
  EXPECT_TRUE(stopped.ok()) << stopped.error_message() << daemon_.Log();
  EXPECT_LT(stop_took, std::chrono::milliseconds(3800)) << "StopContainer";
  v1::ContainerStatus status;
  const auto status_took = Timed([&] { status = client_->StatusOf(first); });
  EXPECT_EQ(status.state(), v1::CONTAINER_EXITED);
  EXPECT_LT(status_took, std::chrono::milliseconds(3800)) << "ContainerStatus";

  const auto stop_pod_took = Timed([&] { stopped = client_->StopPod(pod.id); });
  EXPECT_TRUE(stopped.ok()) << stopped.error_message();
  EXPECT_LT(stop_pod_took, std::chrono::milliseconds(3800)) << "StopPodSandbox";
  // What cloisond leaves when killed while it writes a task record (util::ReplaceFile's
  // temporary file): it goes with the task.
  const std::filesystem::path tasks = daemon_.dir().path() / "state/runtimes" / kHandler / "tasks";
  std::ofstream((tasks / (second + ".tmp-Ab12Cd")).string()) << R"({"state_dir":)";
  grpc::Status removed;
  const auto remove_pod_took = Timed([&] { removed = client_->RemovePod(pod.id); });
  EXPECT_TRUE(removed.ok()) << removed.error_message() << daemon_.Log();
  EXPECT_LT(remove_pod_took, std::chrono::seconds(10)) << "RemovePodSandbox";

  EXPECT_THAT(OurShims(dir), ::testing::IsEmpty());
  // `<shim> delete` force-deleted the tasks, whose processes outlived their shim.
  EXPECT_THAT(ProcessesMatching("sleep 6161", ""), ::testing::IsEmpty());
  EXPECT_THAT(ProcessesMatching("sleep 6262", ""), ::testing::IsEmpty());
  EXPECT_THAT(client_->ListPods(), ::testing::IsEmpty());
  EXPECT_TRUE(std::filesystem::is_empty(tasks)) << "a task record or its temporary file is left";
}

// RemovePodSandbox answers once the pod's shim is gone: the infra task's Delete (the shim's last
// task) asks the shim to shut down and waits for its process to exit (it used to return right
// after asking, and the shim could still run, and its socket be there, after the answer; the
// rest of RemovePodSandbox usually hid that on a quiet machine, so the log line of the wait is
// checked too). No kill was needed: the shim exits by itself.
TEST_F(VmHandler, RemovePodSandboxAnswersOnceThePodsShimExited) {
  const TestPod pod = RunPod("vm-shim-exits", kHandler);
  ASSERT_FALSE(pod.id.empty());
  RunContainer(pod, "sleeper", {"sleep", "6363"});
  const std::string dir = daemon_.dir().path().string();
  ASSERT_EQ(OurShims(dir).size(), 1u) << daemon_.Log();
  const int shim = OurShims(dir)[0];
  const std::string socket = SocketPath(
      ReadText((daemon_.dir().path() / "state/sandboxes" / pod.id / "infra/shim-address").string()));
  ASSERT_FALSE(socket.empty());

  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  const grpc::Status removed = client_->RemovePod(pod.id);
  ASSERT_TRUE(removed.ok()) << removed.error_message();
  EXPECT_THAT(OurShims(dir), ::testing::IsEmpty());
  EXPECT_NE(access(socket.c_str(), F_OK), 0) << socket << " is left behind";
  const std::string log = daemon_.Log();
  EXPECT_THAT(log,
              HasSubstr("the shim of " + pod.id + " (pid " + std::to_string(shim) + ") exited after its last task"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("of its shutdown: killed")));
}

TEST_F(VmHandler, ContainersSurviveADaemonCrash) {
  const TestPod pod = RunPod("vm-crash", kHandler);
  const std::string chatter =
      RunContainer(pod, "chatter", {"sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"});
  const std::string quitter = RunContainer(pod, "quitter", {"sh", "-c", "sleep 2; exit 5"});

  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  const size_t logged_at_crash = LogOf("chatter").size();
  // The monitor keeps draining the output, and the quitter exits, while cloisond is down.
  EXPECT_TRUE(WaitUntil([&] { return LogOf("chatter").size() > logged_at_crash; }));
  const std::filesystem::path quitter_exit = daemon_.dir().path() / "state/exits" / quitter;
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(quitter_exit); }));
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
