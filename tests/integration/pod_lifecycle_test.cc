// Integration tests of pods and containers on the real runc, through cloisond and
// cloison-monitor, with images pulled from a real docker-registry on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "../unit/fd_holding_sleeper.h"
#include "cloison/util/liveness_lock.h"
#include "nlohmann/json.hpp"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

class PodLifecycle : public PodFixture {
 protected:
  // Runs a pod and one started container running `command`; the pod's config in pod_config_.
  std::pair<std::string, std::string> RunOne(const std::string& name, const std::vector<std::string>& command,
                                             v1::NamespaceMode pid_mode = v1::NamespaceMode::CONTAINER) {
    const TestPod pod = RunPod(name, "", pid_mode);
    pod_config_ = pod.config;
    return {pod.id, RunContainer(pod, name + "-c", command)};
  }

  v1::PodSandboxConfig pod_config_;
};

TEST_F(PodLifecycle, TheKubeletSequence) {
  auto [pod_id, container_id] = RunOne("web", {"sh", "-c", "echo started; exec sleep 1000"});

  v1::PodSandboxStatusResponse pod_status;
  ASSERT_TRUE(client_->PodStatus(pod_id, &pod_status, true).ok());
  EXPECT_EQ(pod_status.status().state(), v1::SANDBOX_READY);
  EXPECT_EQ(pod_status.status().metadata().name(), "web");
  EXPECT_EQ(pod_status.status().runtime_handler(), "runc");
  EXPECT_GT(pod_status.status().created_at(), 0);
  EXPECT_TRUE(pod_status.info().contains("info"));

  const v1::ContainerStatus running = client_->StatusOf(container_id);
  EXPECT_EQ(running.state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(running.started_at(), 0);
  EXPECT_EQ(running.image().image(), image_);
  EXPECT_THAT(running.image_ref(), HasSubstr("@sha256:"));
  EXPECT_THAT(running.image_id(), ::testing::StartsWith("sha256:"));
  EXPECT_EQ(running.log_path(), log_dir_ + "/web-c.log");

  // Filters: pod id, state, labels, id prefix.
  v1::ContainerFilter by_pod;
  by_pod.set_pod_sandbox_id(pod_id);
  EXPECT_EQ(client_->List(by_pod).size(), 1u);
  v1::ContainerFilter exited;
  exited.mutable_state()->set_state(v1::CONTAINER_EXITED);
  EXPECT_TRUE(client_->List(exited).empty());
  v1::ContainerFilter by_label;
  (*by_label.mutable_label_selector())["container"] = "web-c";
  EXPECT_EQ(client_->List(by_label).size(), 1u);
  (*by_label.mutable_label_selector())["container"] = "other";
  EXPECT_TRUE(client_->List(by_label).empty());
  v1::ContainerFilter by_prefix;
  by_prefix.set_id(container_id.substr(0, 12));
  EXPECT_EQ(client_->List(by_prefix).size(), 1u);
  v1::PodSandboxFilter pods_by_label;
  (*pods_by_label.mutable_label_selector())["app"] = "web";
  EXPECT_EQ(client_->ListPods(pods_by_label).size(), 1u);
  v1::PodSandboxFilter not_ready;
  not_ready.mutable_state()->set_state(v1::SANDBOX_NOTREADY);
  EXPECT_TRUE(client_->ListPods(not_ready).empty());

  // Pod identity inside the container.
  v1::ExecSyncResponse exec;
  ASSERT_TRUE(client_->Exec(container_id, {"uname", "-n"}, 10, &exec).ok());
  EXPECT_EQ(exec.stdout(), "web\n");

  // sleep as PID 1 ignores SIGTERM: the stop escalates to SIGKILL after the timeout.
  const auto stop_started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_->Stop(container_id, 1).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - stop_started, std::chrono::milliseconds(900));
  const v1::ContainerStatus stopped = client_->StatusOf(container_id);
  EXPECT_EQ(stopped.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped.exit_code(), 137);
  EXPECT_EQ(stopped.reason(), "Error");
  EXPECT_GE(stopped.finished_at(), stopped.started_at());
  ASSERT_TRUE(client_->Stop(container_id, 1).ok());  // idempotent

  ASSERT_TRUE(client_->Remove(container_id).ok());
  v1::ContainerStatusResponse gone;
  EXPECT_EQ(client_->Status(container_id, &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(client_->StopPod(pod_id).ok());
  ASSERT_TRUE(client_->StopPod(pod_id).ok());  // kubelet repeats it
  ASSERT_TRUE(client_->PodStatus(pod_id, &pod_status).ok());
  EXPECT_EQ(pod_status.status().state(), v1::SANDBOX_NOTREADY);
  ASSERT_TRUE(client_->RemovePod(pod_id).ok());
  ASSERT_TRUE(client_->RemovePod(pod_id).ok());
  EXPECT_TRUE(client_->ListPods().empty());
  EXPECT_THAT(MountsUnder(daemon_.dir().path().string()), ::testing::IsEmpty());
}

TEST_F(PodLifecycle, ExitCodesReasonsAndLogs) {
  auto [pod_id, failing] = RunOne("exits", {"sh", "-c", "echo out; echo err >&2; printf partial; exit 3"});
  const v1::ContainerStatus failed = client_->WaitExited(failing);
  EXPECT_EQ(failed.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(failed.exit_code(), 3);
  EXPECT_EQ(failed.reason(), "Error");

  std::string ok_id;
  ASSERT_TRUE(client_->Create(pod_id, ContainerConfig("ok", image_, {"true"}), pod_config_, &ok_id).ok());
  ASSERT_TRUE(client_->Start(ok_id).ok());
  const v1::ContainerStatus completed = client_->WaitExited(ok_id);
  EXPECT_EQ(completed.exit_code(), 0);
  EXPECT_EQ(completed.reason(), "Completed");

  const std::string log = LogOf("exits-c");
  const std::string timestamp = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z";
  EXPECT_THAT(log, ::testing::ContainsRegex(timestamp + " stdout F out\n"));
  EXPECT_THAT(log, ::testing::ContainsRegex(timestamp + " stderr F err\n"));
  EXPECT_THAT(log, ::testing::ContainsRegex(timestamp + " stdout P partial"));

  // A container cannot start twice.
  EXPECT_EQ(client_->Start(ok_id).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(PodLifecycle, ReopenContainerLogAfterRotation) {
  auto [pod_id, id] = RunOne("rotate", {"sh", "-c", "echo one; sleep 1; echo two; sleep 1000"});
  const std::string log = log_dir_ + "/rotate-c.log";
  for (int i = 0; i < 100 && ReadText(log).find("one") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::filesystem::rename(log, log + ".1");
  ASSERT_TRUE(client_->ReopenLog(id).ok());
  for (int i = 0; i < 150 && ReadText(log).find("two") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(ReadText(log + ".1"), HasSubstr("stdout F one"));
  EXPECT_THAT(ReadText(log), HasSubstr("stdout F two"));
  EXPECT_THAT(ReadText(log), ::testing::Not(HasSubstr("one")));
}

// A container's monitor runs from a sealed in-memory copy of cloison-monitor: its
// /proc/<pid>/exe (reachable from a container that sees the process) is a memfd sealed against
// any write, and its command line and process name still name cloison-monitor (ps, pgrep, and
// cloisond's liveness check after a restart, read them). Only the seals tell the copy from the
// installed binary: a running binary refuses to be opened for writing (ETXTBSY) either way.
TEST_F(PodLifecycle, TheMonitorRunsFromASealedCopyOfItsBinary) {
  auto [pod_id, id] = RunOne("sealed", {"sleep", "1000"});
  const std::string monitor_pid =
      ReadText((daemon_.dir().path() / "state/containers" / id / "monitor.pid").string());
  ASSERT_FALSE(monitor_pid.empty());
  const std::string proc = "/proc/" + std::to_string(std::stoi(monitor_pid));
  const int exe = open((proc + "/exe").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(exe, 0) << std::strerror(errno);
  const int seals = fcntl(exe, F_GET_SEALS);
  const int seals_error = errno;
  close(exe);
  ASSERT_NE(seals, -1) << "the monitor runs from a file that has no seals (not a memfd): "
                       << std::strerror(seals_error);
  EXPECT_EQ(seals, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  EXPECT_THAT(ReadText(proc + "/cmdline"), HasSubstr("cloison-monitor"));
  EXPECT_EQ(ProcessName(proc), "cloison-monitor");
  v1::ExecSyncResponse response = ExecSync(id, {"echo", "still-runs"});
  EXPECT_EQ(response.stdout(), "still-runs\n");
}

TEST_F(PodLifecycle, ExecSyncOutputExitCodeAndTimeout) {
  auto [pod_id, id] = RunOne("exec", {"sleep", "1000"});
  v1::ExecSyncResponse response;
  ASSERT_TRUE(client_->Exec(id, {"sh", "-c", "echo to-out; echo to-err >&2; exit 7"}, 10, &response).ok());
  EXPECT_EQ(response.stdout(), "to-out\n");
  EXPECT_EQ(response.stderr(), "to-err\n");
  EXPECT_EQ(response.exit_code(), 7);

  const auto started = std::chrono::steady_clock::now();
  const grpc::Status timed_out = client_->Exec(id, {"sleep", "100"}, 1, &response);
  EXPECT_EQ(timed_out.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << timed_out.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  // The timed-out process is gone.
  ASSERT_TRUE(client_->Exec(id, {"/bin/busybox", "ps", "-o", "args"}, 10, &response).ok());
  EXPECT_THAT(response.stdout(), HasSubstr("sleep 1000"));
  EXPECT_THAT(response.stdout(), ::testing::Not(HasSubstr("sleep 100\n")));

  EXPECT_EQ(client_->Exec(id, {}, 10, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PodLifecycle, NameCollisionsAreAlreadyExists) {
  auto [pod_id, id] = RunOne("dup", {"sleep", "1000"});
  std::string other;
  grpc::Status status = client_->RunPod(pod_config_, &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr(pod_id));
  status = client_->Create(pod_id, ContainerConfig("dup-c", image_, {"true"}), pod_config_, &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr(id));
}

TEST_F(PodLifecycle, BadRequestsNameTheField) {
  std::string id;
  v1::PodSandboxConfig config = PodConfig("", log_dir_);
  grpc::Status status = client_->RunPod(config, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("config.metadata.name"));
  status = client_->RunPod(PodConfig("x", log_dir_), &id, "no-such-handler");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-handler"));
  EXPECT_THAT(status.error_message(), HasSubstr("runc"));

  auto [pod_id, container_id] = RunOne("bad", {"sleep", "1000"});
  status = client_->Create(pod_id, ContainerConfig("c2", registry_->host() + "/nothing:here", {"true"}), pod_config_, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("config.image.image"));
  status = client_->Create("0123456789abcdef", ContainerConfig("c3", image_, {"true"}), pod_config_, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ContainerStatusResponse response;
  EXPECT_EQ(client_->Status("feedfacefeedface", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PodLifecycle, SharedPidNamespaceRunsThePauseInfraContainer) {
  auto [pod_id, id] = RunOne("shared", {"sleep", "1000"}, v1::NamespaceMode::POD);
  v1::ExecSyncResponse response;
  ASSERT_TRUE(client_->Exec(id, {"cat", "/proc/1/cmdline"}, 10, &response).ok());
  EXPECT_EQ(response.stdout().substr(0, 6), std::string("/pause", 6));
  // Infra containers are not listed as containers.
  EXPECT_EQ(client_->List().size(), 1u);
}

TEST_F(PodLifecycle, PodCgroupHoldsTheContainersAndGoesWithThePod) {
  const std::string parent = "/cloison-it-" + std::to_string(getpid()) + "/pod-cg";
  pod_config_ = PodConfig("cg", log_dir_);
  pod_config_.mutable_linux()->set_cgroup_parent(parent);
  std::string pod_id, id;
  ASSERT_TRUE(client_->RunPod(pod_config_, &pod_id).ok()) << daemon_.Log();
  const std::string memory_dir = "/sys/fs/cgroup/memory" + parent;
  EXPECT_TRUE(std::filesystem::is_directory(memory_dir));
  ASSERT_TRUE(client_->Create(pod_id, ContainerConfig("cg-c", image_, {"sleep", "1000"}), pod_config_, &id).ok());
  ASSERT_TRUE(client_->Start(id).ok());
  v1::ExecSyncResponse response;
  ASSERT_TRUE(client_->Exec(id, {"cat", "/proc/self/cgroup"}, 10, &response).ok());
  EXPECT_THAT(response.stdout(), HasSubstr(parent + "/cloison-" + id));
  ASSERT_TRUE(client_->StopPod(pod_id).ok());
  ASSERT_TRUE(client_->RemovePod(pod_id).ok());
  EXPECT_FALSE(std::filesystem::exists(memory_dir));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory/cloison-it-" + std::to_string(getpid())));
}

TEST_F(PodLifecycle, ImageInUseCannotBeRemoved) {
  auto [pod_id, id] = RunOne("inuse", {"sleep", "1000"});
  const grpc::Status status = client_->RemoveImage(image_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  // Recovery: the container's record holds its image again after a restart.
  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);
  EXPECT_EQ(client_->RemoveImage(image_).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(client_->Remove(id).ok());
  EXPECT_TRUE(client_->RemoveImage(image_).ok());
}

// RemoveImage racing CreateContainer on the same image, round after round: either the
// container is created (and runs) and the removal is refused, or the image goes and the
// creation answers NOT_FOUND; never a container on a removed image.
TEST_F(PodLifecycle, RemoveImageRacingCreateContainerIsAtomic) {
  const TestPod pod = RunPod("imagerace");
  int created_rounds = 0;
  int removed_rounds = 0;
  for (int round = 0; round < 40; ++round) {
    ASSERT_TRUE(client_->Pull(image_).ok());
    const std::string name = "racer-" + std::to_string(round);
    std::string id;
    grpc::Status created;
    grpc::Status removed;
    {
      std::jthread creator([&] {
        created = client_->Create(pod.id, ContainerConfig(name, image_, {"sleep", "1000"}), pod.config, &id);
      });
      removed = client_->RemoveImage(image_);
    }
    if (created.ok()) {
      ++created_rounds;
      EXPECT_EQ(removed.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << "round " << round << ": the image was removed under container " << id;
      const grpc::Status started = client_->Start(id);
      EXPECT_TRUE(started.ok()) << "round " << round << ": " << started.error_message();
      ASSERT_TRUE(client_->Remove(id).ok());
    } else {
      ++removed_rounds;
      EXPECT_EQ(created.error_code(), grpc::StatusCode::NOT_FOUND) << created.error_message();
      EXPECT_TRUE(removed.ok()) << removed.error_message();
    }
  }
  std::cout << created_rounds << " rounds created the container, " << removed_rounds << " removed the image\n";
}

// kubelet may ask again before an answer comes: every RemoveContainer of one container
// succeeds, the ones that find it already gone too (they answered NOT_FOUND from the stop).
TEST_F(PodLifecycle, ConcurrentRemovalsOfOneContainerAllSucceed) {
  const TestPod pod = RunPod("removetwice");
  for (int round = 0; round < 5; ++round) {
    const std::string id = RunContainer(pod, "removed-" + std::to_string(round), {"sleep", "1000"});
    std::array<grpc::Status, 3> removed;
    {
      std::vector<std::jthread> removers;
      for (grpc::Status& status : removed) removers.emplace_back([&, id] { status = client_->Remove(id); });
    }
    for (const grpc::Status& status : removed) {
      EXPECT_TRUE(status.ok()) << "round " << round << ": " << status.error_message();
    }
    v1::ContainerStatusResponse gone;
    EXPECT_EQ(client_->Status(id, &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(PodLifecycle, ContainersSurviveADaemonCrash) {
  auto [pod_id, survivor] = RunOne("survivor", {"sleep", "1000"});
  std::string quitter;
  ASSERT_TRUE(client_->Create(pod_id, ContainerConfig("quitter", image_, {"sh", "-c", "sleep 2; exit 4"}),
                              pod_config_, &quitter)
                  .ok());
  ASSERT_TRUE(client_->Start(quitter).ok());
  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  // The quitter exits while cloisond is down: its monitor writes the exit file.
  const std::filesystem::path quitter_exit = daemon_.dir().path() / "state/exits" / quitter;
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(quitter_exit); }));
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);

  EXPECT_EQ(client_->List().size(), 2u);
  EXPECT_EQ(client_->StatusOf(survivor).state(), v1::CONTAINER_RUNNING);
  v1::ExecSyncResponse response;
  ASSERT_TRUE(client_->Exec(survivor, {"echo", "alive"}, 10, &response).ok());
  EXPECT_EQ(response.stdout(), "alive\n");
  const v1::ContainerStatus quit = client_->StatusOf(quitter);
  EXPECT_EQ(quit.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(quit.exit_code(), 4);
  // And exits after the restart are seen too.
  ASSERT_TRUE(client_->Stop(survivor, 0).ok());
  EXPECT_EQ(client_->StatusOf(survivor).exit_code(), 137);
}

// StartContainer saves the running record while runc makes the container, before its pids are
// known: a crash anywhere in the call leaves it created (startable), running and managed (its
// pids read back from the state dir), or exited with a StartError and deleted from runc.
TEST_F(PodLifecycle, CrashDuringStartLeavesItCreatedRunningOrFailed) {
  const TestPod pod = RunPod("startcrash");
  for (const int delay_ms : {30, 60, 90}) {  // crashes at different points of the call
    SCOPED_TRACE(delay_ms);
    std::string id;
    const std::string name = "startcrash-" + std::to_string(delay_ms);
    ASSERT_TRUE(client_->Create(pod.id, ContainerConfig(name, image_, {"sleep", "1000"}), pod.config, &id).ok())
        << daemon_.Log();
    std::jthread starter([&] { (void)client_->Start(id); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(daemon_.pid(), SIGKILL);
    ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
    starter.join();
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
    const v1::ContainerStatus status = client_->StatusOf(id);
    if (status.state() == v1::CONTAINER_CREATED) {
      ASSERT_TRUE(client_->Start(id).ok()) << daemon_.Log();
    }
    if (status.state() == v1::CONTAINER_EXITED) {
      EXPECT_EQ(status.reason(), "StartError") << status.message();
      // runc delete killed what the cut-short start made; its monitor then records the exit.
      WaitUntil([&] { return ProcessesMatching("", "--id " + id).empty(); }, std::chrono::seconds(5));
      EXPECT_THAT(ProcessesMatching("", "--id " + id), ::testing::IsEmpty());
    } else {
      EXPECT_EQ(ExecSync(id, {"echo", "managed"}).stdout(), "managed\n");
      ASSERT_TRUE(client_->Stop(id, 0).ok()) << daemon_.Log();
      EXPECT_EQ(client_->StatusOf(id).exit_code(), 137);
    }
  }
}

// A process holding a container's monitor liveness lock, as its monitor does (the lock's open
// file description handed over as fd 4, the test's own copy closed); killed when destroyed.
class LockHolder {
 public:
  explicit LockHolder(const std::string& lock_path) {
    absl::StatusOr<util::UniqueFd> lock = util::TakeLivenessLock(lock_path);
    if (lock.ok()) holder_.emplace(lock->get());
  }

  bool holds() const { return holder_ && holder_->pid() > 0; }
  void Release() { holder_.reset(); }

 private:
  std::optional<FdHoldingSleeper> holder_;
};

// A restart finds StartContainer calls whose monitors had not written monitor.pid yet: while a
// monitor lives (its liveness lock held) nothing is deleted nor failed, and StartContainer and
// StopContainer wait for it; once no monitor holds the lock, the start was cut short.
TEST_F(PodLifecycle, InterruptedStartsWaitForTheirMonitorsLivenessLock) {
  const TestPod pod = RunPod("lockwait");
  std::map<std::string, std::string> ids;  // name -> id
  for (const std::string name : {"held-created", "held-running", "free-running"}) {
    ASSERT_TRUE(client_->Create(pod.id, ContainerConfig(name, image_, {"sleep", "1000"}), pod.config, &ids[name]).ok())
        << daemon_.Log();
  }
  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  const std::filesystem::path state = daemon_.dir().path() / "state/containers";
  // StartContainer saved these running before their monitors reported (runc run --detach).
  for (const std::string name : {"held-running", "free-running"}) {
    RewriteRecord("containers", ids[name], [](nlohmann::json& record) { record["state"] = "running"; });
  }
  const std::string free_lock = (state / ids["free-running"] / "monitor.lock").string();
  ASSERT_TRUE(util::TakeLivenessLock(free_lock).ok());  // taken, and let go: its monitor is gone
  LockHolder created_monitor((state / ids["held-created"] / "monitor.lock").string());
  LockHolder running_monitor((state / ids["held-running"] / "monitor.lock").string());
  ASSERT_TRUE(created_monitor.holds() && running_monitor.holds());

  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);
  const v1::ContainerStatus cut_short = client_->StatusOf(ids["free-running"]);
  EXPECT_EQ(cut_short.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(cut_short.reason(), "StartError") << cut_short.message();
  EXPECT_EQ(client_->StatusOf(ids["held-created"]).state(), v1::CONTAINER_CREATED);
  EXPECT_EQ(client_->StatusOf(ids["held-running"]).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(client_->Start(ids["held-created"]).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Stop(ids["held-running"], 0).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  created_monitor.Release();
  running_monitor.Release();
  for (const std::string name : {"held-created", "held-running"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(WaitUntil([&] { return client_->StatusOf(ids[name]).state() == v1::CONTAINER_EXITED; }))
        << daemon_.Log();
    EXPECT_EQ(client_->StatusOf(ids[name]).reason(), "StartError");
  }
  for (const auto& [name, id] : ids) EXPECT_TRUE(client_->Remove(id).ok()) << name << ": " << daemon_.Log();
}

TEST_F(PodLifecycle, CrashDuringCreateLeaksNothing) {
  std::string pod_id;
  pod_config_ = PodConfig("crashy", log_dir_);
  ASSERT_TRUE(client_->RunPod(pod_config_, &pod_id).ok());
  std::jthread creator([&] {
    std::string id;
    (void)client_->Create(pod_id, ContainerConfig("victim", image_, {"sleep", "1000"}), pod_config_, &id);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  creator.join();
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);
  // Whatever point the crash hit, the container either exists completely or not at all.
  for (const v1::Container& container : client_->List()) {
    EXPECT_NE(container.state(), v1::CONTAINER_UNKNOWN);
    ASSERT_TRUE(client_->Remove(container.id()).ok());
  }
  std::vector<std::string> leftovers;
  for (const auto& entry : std::filesystem::directory_iterator(daemon_.dir().path() / "state/containers")) {
    leftovers.push_back(entry.path().string());
  }
  EXPECT_THAT(leftovers, ::testing::IsEmpty());
  EXPECT_EQ(MountsUnder((daemon_.dir().path() / "root/storage").string()).size(), 0u);
}

// runc containers are made by `runc run --detach` at StartContainer, as containerd does: a
// created container has no process, survives a daemon restart as created and starts after it.
TEST_F(PodLifecycle, CreatedContainerRunsNothingUntilStartEvenAcrossARestart) {
  const TestPod pod = RunPod("later");
  pod_config_ = pod.config;
  std::string waiting, dropped;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("waiting", image_, {"sh", "-c", "echo begun; exec sleep 1000"}),
                              pod.config, &waiting).ok()) << daemon_.Log();
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("dropped", image_, {"sleep", "1000"}), pod.config, &dropped).ok());
  EXPECT_EQ(client_->StatusOf(waiting).state(), v1::CONTAINER_CREATED);
  v1::ExecSyncResponse response;
  EXPECT_EQ(client_->Exec(waiting, {"true"}, 10, &response).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::LinuxContainerResources resources;
  resources.set_cpu_shares(512);
  ASSERT_TRUE(client_->UpdateResources(waiting, resources).ok()) << daemon_.Log();
  EXPECT_TRUE(LogOf("waiting").empty());

  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);
  EXPECT_EQ(client_->StatusOf(waiting).state(), v1::CONTAINER_CREATED);
  // The resources in force, for kubelet's in-place resize: what the update applied, kept.
  EXPECT_EQ(client_->StatusOf(waiting).resources().linux().cpu_shares(), 512);

  ASSERT_TRUE(client_->Start(waiting).ok()) << daemon_.Log();
  const v1::ContainerStatus running = client_->StatusOf(waiting);
  EXPECT_EQ(running.state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(running.started_at(), 0);
  ASSERT_TRUE(client_->Exec(waiting, {"cat", "/sys/fs/cgroup/cpu/cpu.shares"}, 10, &response).ok());
  if (!response.stdout().empty()) {  // cgroup v1 with cpu mounted there
    EXPECT_EQ(response.stdout(), "512\n");
  }
  for (int i = 0; i < 100 && LogOf("waiting").find("begun") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(LogOf("waiting"), HasSubstr("stdout F begun"));
  EXPECT_EQ(client_->Start(waiting).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // A created container that never starts stops and goes away.
  ASSERT_TRUE(client_->Stop(dropped, 10).ok()) << daemon_.Log();
  EXPECT_EQ(client_->StatusOf(dropped).state(), v1::CONTAINER_EXITED);
  ASSERT_TRUE(client_->Remove(dropped).ok()) << daemon_.Log();
  ASSERT_TRUE(client_->Stop(waiting, 0).ok());
  EXPECT_EQ(client_->StatusOf(waiting).exit_code(), 137);
}

// kubelet names the image by its id in CreateContainer and the pod spec's image in
// user_specified_image; ContainerStatus, ListContainers and the image-name annotation show a
// name, not the id.
TEST_F(PodLifecycle, ContainersCreatedByImageIdShowTheImagesName) {
  const TestPod pod = RunPod("byid");
  std::string by_tag, by_id, as_specified;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("by-tag", image_, {"true"}), pod.config, &by_tag).ok())
      << daemon_.Log();
  const std::string image_id = client_->StatusOf(by_tag).image_id();
  ASSERT_THAT(image_id, ::testing::StartsWith("sha256:"));
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("by-id", image_id, {"true"}), pod.config, &by_id).ok());
  v1::ContainerConfig specified = ContainerConfig("as-specified", image_id, {"true"});
  specified.mutable_image()->set_user_specified_image("busybox-as-the-pod-spec-says");
  ASSERT_TRUE(client_->Create(pod.id, specified, pod.config, &as_specified).ok());

  EXPECT_EQ(client_->StatusOf(by_tag).image().image(), image_);
  const v1::ContainerStatus status = client_->StatusOf(by_id);
  EXPECT_EQ(status.image().image(), image_);  // the image's repo tag
  EXPECT_EQ(status.image().user_specified_image(), "");
  EXPECT_EQ(status.image_id(), image_id);
  const v1::ContainerStatus specified_status = client_->StatusOf(as_specified);
  EXPECT_EQ(specified_status.image().image(), "busybox-as-the-pod-spec-says");
  EXPECT_EQ(specified_status.image().user_specified_image(), "busybox-as-the-pod-spec-says");
  v1::ContainerFilter filter;
  filter.set_id(by_id);
  const std::vector<v1::Container> listed = client_->List(filter);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].image().image(), image_);

  v1::ContainerStatusResponse verbose;
  ASSERT_TRUE(client_->Status(by_id, &verbose, true).ok());
  const nlohmann::json info = nlohmann::json::parse(verbose.info().at("info"));
  EXPECT_EQ(info["runtimeSpec"]["annotations"]["io.kubernetes.cri.image-name"], image_);
  EXPECT_EQ(info["runtimeSpec"]["annotations"]["io.kubernetes.cri-o.Image"], image_id);
  for (const std::string& id : {by_tag, by_id, as_specified}) EXPECT_TRUE(client_->Remove(id).ok());
}

TEST_F(PodLifecycle, MissingEntrypointFailsStartContainerNamingIt) {
  const TestPod pod = RunPod("noexec");
  std::string id;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("noexec-c", image_, {"/no/such-binary"}), pod.config, &id).ok())
      << daemon_.Log();
  const grpc::Status started = client_->Start(id);
  EXPECT_EQ(started.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(started.error_message(), HasSubstr("/no/such-binary"));
  const v1::ContainerStatus failed = client_->StatusOf(id);
  EXPECT_EQ(failed.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(failed.reason(), "StartError");
  EXPECT_THAT(failed.message(), HasSubstr("/no/such-binary"));
  ASSERT_TRUE(client_->Remove(id).ok()) << daemon_.Log();
}

}  // namespace
}  // namespace cloison::testing
