// Crash and race exploration of the pod and container lifecycle on real runc: each round runs
// a few pods with containers, has three threads make random CRI calls on them (kubelet-like
// races: StopPodSandbox or RemovePodSandbox while CreateContainer, StartContainer or ExecSync
// of that pod run, two StopContainer at once, ...), SIGKILLs cloisond at a random moment in
// most rounds and restarts it, then checks that everything it lists answers and is CRI-legal,
// that every pod and container stops and goes, and that nothing is left: no mount under its
// directories, no process naming them, no runc container, no pod cgroup, no record.
// Rounds come from a fixed seed list; CLOISON_CHAOS_SEEDS=<n>,<n>... replays others, and
// CLOISON_CHAOS_HANDLER=runsc runs the pods on runsc instead of runc, =runc-shim on a "vm" handler
// driving containerd-shim-runc-v2 (also checking that no shim of this cloisond nor its socket is
// left). After it, the deterministic regression tests of what the rounds found.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "chaos_rounds.h"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kCommittedSeeds[] = {11,   23,   37,   41,   59,   67,   115,  4030, 5003, 5017, 5101, 5150,
                                        6001, 6007, 6013, 6029, 6043, 6047, 7001, 7013, 7019, 7027, 7039, 7057};

// The runtime handler of the pods ("": the default, runc).
std::string Handler() {
  const char* handler = std::getenv("CLOISON_CHAOS_HANDLER");
  return handler == nullptr ? "" : handler;
}

// The vm handler: pods driven through Debian's containerd-shim-runc-v2, one shim per pod.
constexpr char kVmHandler[] = "runc-shim";
constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kVmHandlerConfig[] =
    "[runtimes.runc-shim]\nruntime_type = \"vm\"\nruntime_path = \"containerd-shim-runc-v2\"\n";
// Where that shim's runc keeps its containers: the namespace cloisond gives its shims.
constexpr char kShimRuncRoot[] = "/run/containerd/runc/cloison";

bool OnVmHandler() { return Handler() == kVmHandler; }

std::vector<uint32_t> Seeds() { return ChaosSeeds("CLOISON_CHAOS_SEEDS", kCommittedSeeds); }

class LifecycleChaos : public PodFixture {
 protected:
  LifecycleChaos() : PodFixture(OnVmHandler() ? kVmHandlerConfig : "") {}

  void SetUp() override {
    if (OnVmHandler() && access(kShim, X_OK) != 0) GTEST_SKIP() << kShim << " is not installed";
    PodFixture::SetUp();
  }

  struct KnownContainer {
    std::string id;
    size_t pod = 0;  // index in pods_
  };

  // The pod cgroup parent of the round's pod `n`: a directory of its own cloisond makes.
  std::string CgroupParentOf(int n) const { return "/" + CgroupPrefix() + std::to_string(n); }
  std::string CgroupPrefix() const { return "cloison-chaos-" + std::to_string(getpid()) + "-"; }

  // The pod cgroup directories (of any mounted hierarchy) this test's pods made and left.
  std::vector<std::string> PodCgroupsLeft() const {
    std::vector<std::string> left;
    for (const std::string& hierarchy : EntriesOf("/sys/fs/cgroup")) {
      for (const std::string& name : EntriesOf(fs::path("/sys/fs/cgroup") / hierarchy)) {
        if (name.rfind(CgroupPrefix(), 0) == 0) left.push_back(hierarchy + "/" + name);
      }
    }
    return left;
  }

  // The containers the handler's runtime lists under the root cloisond gives it (for the vm
  // handler: those of the shims' runc whose bundle lies under this cloisond's directories).
  std::vector<std::string> RuntimeContainersLeft() const {
    if (OnVmHandler()) {
      std::vector<std::string> ids;
      for (const std::string& id : EntriesOf(kShimRuncRoot)) {
        const std::string state = ReadText((fs::path(kShimRuncRoot) / id / "state.json").string());
        if (state.find(daemon_.dir().path().string()) != std::string::npos) ids.push_back(id);
      }
      return ids;
    }
    const bool runsc = Handler() == "runsc";
    const std::string root = (daemon_.dir().path() / "state/runtimes" / (runsc ? "runsc" : "runc")).string();
    const std::pair<int, std::string> listed = CloisondProcess::RunToCompletion(
        {runsc ? "/usr/bin/runsc" : "/usr/sbin/runc", "--root", root, "list", runsc ? "-quiet" : "-q"},
        (daemon_.dir().path() / "runtime-list.out").string());
    std::vector<std::string> ids;
    std::stringstream lines(listed.second);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) ids.push_back(line);
    }
    return ids;
  }

  // Notes the socket of every shim this cloisond's containers name now (vm handler only).
  void NoteShimSockets() {
    if (!OnVmHandler()) return;
    std::error_code ec;
    const fs::path state = daemon_.dir().path() / "state";
    for (fs::recursive_directory_iterator it(state, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename() != "shim-address") continue;
      std::string address = ReadText(it->path().string());
      if (address.rfind("unix://", 0) == 0) address.erase(0, 7);
      std::lock_guard lock(known_mu_);
      if (!address.empty()) shim_sockets_.insert(address);
    }
  }

  // The serving shims of this cloisond (their -address lies under its directory); the short
  // `start` and `delete` invocations are not counted.
  std::vector<int> ServingShimsLeft() const {
    std::vector<int> shims;
    for (int pid : ProcessesMatching(kShim, daemon_.dir().path().string())) {
      const std::string cmdline = Cmdline(pid);
      if (cmdline.find(" start") == std::string::npos && cmdline.find(" delete") == std::string::npos) {
        shims.push_back(pid);
      }
    }
    return shims;
  }

  // The shim sockets noted this round that still exist.
  std::vector<std::string> ShimSocketsLeft() const {
    std::vector<std::string> left;
    for (const std::string& socket : shim_sockets_) {
      if (access(socket.c_str(), F_OK) == 0) left.push_back(socket);
    }
    return left;
  }

  // Runs the round's pods (2, one of them sometimes sharing its PID namespace: an infra
  // container) with 1 or 2 containers each, some started, some exiting on their own.
  void SetUpRound(std::mt19937& random) {
    pods_.clear();
    containers_.clear();
    for (int n = 0; n < 2; ++n) {
      const TestPod pod = RunPod(ChaosPodConfig(std::to_string(n), random), Handler());
      ASSERT_FALSE(pod.id.empty());
      pods_.push_back(pod);
      const int count = 1 + static_cast<int>(random() % 2);
      for (int c = 0; c < count; ++c) {
        const grpc::Status added = AddContainer(pods_.size() - 1, random, random() % 3 != 0);
        EXPECT_TRUE(added.ok()) << added.error_message();
      }
    }
    NoteShimSockets();
  }

  // Pod `name` of this round, in a cgroup parent of its own, sometimes sharing its PID
  // namespace (an infra container).
  v1::PodSandboxConfig ChaosPodConfig(const std::string& name, std::mt19937& random) {
    const bool shared_pid = random() % 2 == 0;
    v1::PodSandboxConfig config = PodConfig("chaos-" + std::to_string(round_) + "-" + name, log_dir_,
                                            shared_pid ? v1::NamespaceMode::POD : v1::NamespaceMode::CONTAINER);
    config.mutable_linux()->set_cgroup_parent(CgroupParentOf(++cgroup_seq_));
    return config;
  }

  // Creates (and when `start`, starts) one more container in pod `pod`; sometimes it exits by
  // itself shortly. Returns the call's status; the container joins containers_ when created.
  grpc::Status AddContainer(size_t pod, std::mt19937& random, bool start) {
    std::string name;
    {
      std::lock_guard lock(known_mu_);
      name = "c" + std::to_string(++container_seq_);
    }
    const std::vector<std::string> command =
        random() % 3 == 0 ? std::vector<std::string>{"sh", "-c", "sleep 0.3; exit 3"}
                          : std::vector<std::string>{"sleep", "1000"};
    std::string id;
    grpc::Status status = client_->Create(pods_[pod].id, ContainerConfig(name, image_, command), pods_[pod].config, &id);
    if (!status.ok()) return status;
    {
      std::lock_guard lock(known_mu_);
      containers_.push_back({id, pod});
    }
    return start ? client_->Start(id) : status;
  }

  // One random call of a racing thread; the call's name and status.
  std::pair<std::string, grpc::Status> RandomCall(CriClient& client, std::mt19937& random) {
    KnownContainer container;
    {
      std::lock_guard lock(known_mu_);
      container = containers_[random() % containers_.size()];
    }
    const TestPod& pod = pods_[random() % pods_.size()];
    switch (random() % 10) {
      case 0:
        return {"StopPodSandbox " + pod.id, client.StopPod(pod.id)};
      case 1:
        return {"RemovePodSandbox " + pod.id, client.RemovePod(pod.id)};
      case 2:
        return {"StartContainer " + container.id, client.Start(container.id)};
      case 3:
        return {"StopContainer " + container.id, client.Stop(container.id, random() % 2)};
      case 4:
        return {"RemoveContainer " + container.id, client.Remove(container.id)};
      case 5: {
        v1::ExecSyncResponse response;
        return {"ExecSync " + container.id, client.Exec(container.id, {"sh", "-c", "sleep 0.1; echo x"}, 5, &response)};
      }
      case 6: {
        v1::ContainerStatusResponse response;
        return {"ContainerStatus " + container.id, client.Status(container.id, &response)};
      }
      case 7: {  // a pod nobody else calls on: a crash in RunPodSandbox
        std::string id;
        return {"RunPodSandbox", client.RunPod(ChaosPodConfig("x" + std::to_string(++extra_pods_), random), &id, Handler())};
      }
      default: {
        const size_t index = static_cast<size_t>(&pod - pods_.data());
        return {"Create+StartContainer in " + pod.id, AddContainer(index, random, random() % 2 == 0)};
      }
    }
  }

  // Whether a racing call's answer is one the CRI allows: removing always succeeds (also
  // of what is gone already), stopping succeeds or finds the object gone, the others may also
  // find it in the wrong state.
  static bool AllowedAnswer(const std::string& call, const grpc::Status& status) {
    const grpc::StatusCode code = status.error_code();
    if (code == grpc::StatusCode::OK) return true;
    if (call.rfind("Remove", 0) == 0) return false;
    if (code == grpc::StatusCode::NOT_FOUND) return true;
    if (call.rfind("Stop", 0) == 0) return false;
    if (code == grpc::StatusCode::FAILED_PRECONDITION) return true;
    // An exec racing the container's stop fails as the container dies.
    return call.rfind("ExecSync", 0) == 0 && (code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN);
  }

  // The racing threads' calls, a SIGKILL of cloisond after `crash_after` (none when negative)
  // and its restart.
  void RaceAndCrash(uint32_t seed, std::chrono::milliseconds crash_after) {
    std::atomic<bool> killing{false};
    std::mutex failures_mu;
    std::vector<std::string> failures;
    CriClient& racing_client = *client_;
    {
      std::vector<std::jthread> threads;
      for (uint32_t t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
          std::mt19937 random(seed * 31 + t);
          for (int call = 0; call < 8 && !killing; ++call) {
            auto [name, status] = RandomCall(racing_client, random);
            if (status.ok()) NoteShimSockets();
            {
              std::lock_guard lock(failures_mu);
              calls_.push_back(name + " -> " + std::to_string(status.error_code()));
            }
            if (killing) return;
            if (!AllowedAnswer(name, status)) {
              std::lock_guard lock(failures_mu);
              failures.push_back(name + ": " + std::to_string(status.error_code()) + " " + status.error_message());
            }
          }
        });
      }
      if (crash_after.count() >= 0) {
        std::this_thread::sleep_for(crash_after);
        ASSERT_FALSE(daemon_.Exited(std::chrono::milliseconds(0)).exited) << "cloisond died by itself\n" << daemon_.Log();
        killing = true;
        {
          std::lock_guard lock(failures_mu);
          std::cout << "  SIGKILL after " << calls_.size() << " racing calls" << std::endl;
          calls_.push_back("-- SIGKILL --");
        }
        crashed_log_ = daemon_.Log();
        kill(daemon_.pid(), SIGKILL);
        ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
      }
    }
    EXPECT_THAT(failures, ::testing::IsEmpty());
    if (crash_after.count() >= 0) {
      // Sometimes a second crash, while cloisond recovers (or just after).
      std::mt19937 random(seed * 17);
      if (random() % 3 == 0) CrashDuringRecovery(daemon_, std::chrono::milliseconds(random() % 120));
      RestartDaemon();
    } else {
      ASSERT_FALSE(daemon_.Exited(std::chrono::milliseconds(0)).exited) << "cloisond died by itself\n" << daemon_.Log();
    }
  }

  // Everything listed answers and is CRI-legal, every container belongs to a listed pod, and
  // all of it stops and goes (pods first, then any container left), leaving nothing behind.
  void CheckInvariantsAndClear() {
    NoteShimSockets();
    const std::vector<v1::PodSandbox> pods = client_->ListPods();
    std::set<std::string> pod_ids;
    for (const v1::PodSandbox& pod : pods) {
      pod_ids.insert(pod.id());
      v1::PodSandboxStatusResponse status;
      EXPECT_TRUE(client_->PodStatus(pod.id(), &status).ok()) << pod.id();
    }
    const std::vector<v1::Container> containers = client_->List();
    for (const v1::Container& container : containers) {
      SCOPED_TRACE("container " + container.id());
      EXPECT_TRUE(pod_ids.contains(container.pod_sandbox_id()))
          << "it belongs to pod " << container.pod_sandbox_id() << ", which is not listed";
      v1::ContainerStatusResponse response;
      ASSERT_TRUE(client_->Status(container.id(), &response).ok());
      const v1::ContainerStatus& status = response.status();
      EXPECT_EQ(status.state(), container.state());
      if (status.state() == v1::CONTAINER_EXITED) {
        EXPECT_GT(status.finished_at(), 0);
        EXPECT_FALSE(status.reason().empty());
      }
      if (status.state() == v1::CONTAINER_RUNNING) {
        EXPECT_GT(status.started_at(), 0);
      }
    }
    for (const v1::PodSandbox& pod : pods) {
      const grpc::Status stopped = client_->StopPod(pod.id());
      EXPECT_TRUE(stopped.ok()) << pod.id() << ": " << stopped.error_message();
      const grpc::Status removed = client_->RemovePod(pod.id());
      EXPECT_TRUE(removed.ok()) << pod.id() << ": " << removed.error_message();
    }
    for (const v1::Container& container : client_->List()) {
      const grpc::Status removed = client_->Remove(container.id());
      EXPECT_TRUE(removed.ok()) << container.id() << ": " << removed.error_message();
    }
    EXPECT_THAT(client_->ListPods(), ::testing::IsEmpty());
    EXPECT_THAT(client_->List(), ::testing::IsEmpty());
    const fs::path dir = daemon_.dir().path();
    EXPECT_THAT(MountsUnder((dir / "root").string()), ::testing::IsEmpty());
    EXPECT_THAT(MountsUnder((dir / "state").string()), ::testing::IsEmpty());
    EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(dir.string()).empty(); }, std::chrono::seconds(10)));
    for (int pid : ProcessesNaming(dir.string())) {
      ADD_FAILURE() << "left running: " << pid << " " << Cmdline(pid);
      kill(pid, SIGKILL);
    }
    EXPECT_THAT(RuntimeContainersLeft(), ::testing::IsEmpty());
    EXPECT_THAT(PodCgroupsLeft(), ::testing::IsEmpty());
    if (OnVmHandler()) {
      // RemovePodSandbox answers once the pod's shim exited (or was killed); the wait covers
      // a shim whose pid the Delete could not hold.
      EXPECT_TRUE(WaitUntil([&] { return ServingShimsLeft().empty() && ShimSocketsLeft().empty(); },
                            std::chrono::seconds(10)));
      for (int pid : ServingShimsLeft()) {
        ADD_FAILURE() << "shim left serving: " << pid << " " << Cmdline(pid);
        kill(pid, SIGKILL);
      }
      EXPECT_THAT(ShimSocketsLeft(), ::testing::IsEmpty());
      EXPECT_THAT(EntriesOf(dir / "state/runtimes" / kVmHandler / "tasks"), ::testing::IsEmpty());
    }
    for (const char* kept : {"root/sandboxes", "root/containers", "root/storage", "state/sandboxes",
                             "state/containers", "state/exits"}) {
      EXPECT_THAT(EntriesOf(dir / kept), ::testing::IsEmpty()) << kept;
    }
  }

  std::vector<std::string> calls_;  // the round's racing calls and their codes, in order
  std::string crashed_log_;         // cloisond's log up to the round's crash
  std::vector<TestPod> pods_;
  std::mutex known_mu_;
  std::vector<KnownContainer> containers_;  // every container made this round, removed or not
  std::set<std::string> shim_sockets_;      // every shim socket noted (vm handler), kept across rounds
  int round_ = 0;
  std::atomic<int> cgroup_seq_{0};
  std::atomic<int> extra_pods_{0};
  int container_seq_ = 0;
};

TEST_F(LifecycleChaos, RacingCallsAndCrashesLeaveEveryObjectAnsweringAndNothingBehind) {
  for (const uint32_t seed : Seeds()) {
    ++round_;
    std::cout << "chaos round " << round_ << ": seed " << seed << std::endl;
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    SetUpRound(random);
    if (HasFatalFailure()) return;
    // A quarter of the rounds race without a crash.
    const int crash_after_ms = random() % 4 == 0 ? -1 : static_cast<int>(random() % 300);
    calls_.clear();
    crashed_log_.clear();
    RaceAndCrash(seed, std::chrono::milliseconds(crash_after_ms));
    if (HasFatalFailure()) return;
    CheckInvariantsAndClear();
    if (HasFailure()) {
      std::cout << "seed " << seed << " failed; the racing calls:\n";
      for (const std::string& call : calls_) std::cout << "  " << call << "\n";
      std::cout << "cloisond's log before the crash:\n" << crashed_log_ << "\nand since:\n" << daemon_.Log() << std::endl;
      return;
    }
  }
}

// CreateContainer calls racing StopPodSandbox or RemovePodSandbox of their pod, the pod call
// issued a little later each round: each creation lands before the pod call lists the pod's
// containers (so it stops them, or removes them with the pod) or fails; never a container left
// created or running in a stopped pod, nor one whose pod is gone (cloisond used to record
// such containers: the pod call did not wait for creations under way).
TEST_F(LifecycleChaos, CreateContainerRacingStopOrRemovePodSandbox) {
  for (int round = 0; round < 16; ++round) {
    const bool remove = round % 2 == 1;
    SCOPED_TRACE(std::string(remove ? "RemovePodSandbox" : "StopPodSandbox") + " in round " + std::to_string(round));
    const TestPod pod = RunPod("race-" + std::to_string(round));
    ASSERT_FALSE(pod.id.empty());
    {
      std::vector<std::jthread> creators;
      for (int n = 0; n < 3; ++n) {
        creators.emplace_back([&, n] {
          std::string id;
          const grpc::Status created =
              client_->Create(pod.id, ContainerConfig("c" + std::to_string(n), image_, {"sleep", "1000"}), pod.config, &id);
          const grpc::StatusCode code = created.error_code();
          EXPECT_TRUE(created.ok() || code == grpc::StatusCode::NOT_FOUND || code == grpc::StatusCode::FAILED_PRECONDITION)
              << created.error_message();
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(round / 2));
      const grpc::Status pod_call = remove ? client_->RemovePod(pod.id) : client_->StopPod(pod.id);
      EXPECT_TRUE(pod_call.ok()) << pod_call.error_message();
    }
    for (const v1::Container& container : client_->List()) {
      if (remove) {
        ADD_FAILURE() << "container " << container.id() << " outlived its pod " << container.pod_sandbox_id();
      } else {
        EXPECT_EQ(container.state(), v1::CONTAINER_EXITED) << "container " << container.id() << " of a stopped pod";
      }
      (void)client_->Remove(container.id());
    }
    ASSERT_TRUE(client_->RemovePod(pod.id).ok());
    EXPECT_THAT(MountsUnder((daemon_.dir().path() / "root/storage").string()), ::testing::IsEmpty());
  }
}

// A created container that never started stops and goes on runsc too, alone or with its pod
// (runsc refuses to signal a created container: StopContainer, and so StopPodSandbox and
// RemovePodSandbox of its pod, used to fail with INTERNAL for ever).
TEST_F(LifecycleChaos, NeverStartedContainersStopAndGoOnRunsc) {
  if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
  const TestPod pod = RunPod(PodConfig("gv-created", log_dir_), "runsc");
  ASSERT_FALSE(pod.id.empty());
  std::string alone, with_pod;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("alone", image_, {"sleep", "1000"}), pod.config, &alone).ok())
      << daemon_.Log();
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("with-pod", image_, {"sleep", "1000"}), pod.config, &with_pod).ok());
  const grpc::Status stopped = client_->Stop(alone, 0);
  EXPECT_TRUE(stopped.ok()) << stopped.error_message();
  const v1::ContainerStatus status = client_->StatusOf(alone);
  EXPECT_EQ(status.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(status.exit_code(), 137);
  const grpc::Status removed = client_->Remove(alone);
  EXPECT_TRUE(removed.ok()) << removed.error_message();
  const grpc::Status pod_stopped = client_->StopPod(pod.id);
  EXPECT_TRUE(pod_stopped.ok()) << pod_stopped.error_message();
  const grpc::Status pod_removed = client_->RemovePod(pod.id);
  EXPECT_TRUE(pod_removed.ok()) << pod_removed.error_message();
  EXPECT_THAT(client_->List(), ::testing::IsEmpty());
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(daemon_.dir().path().string()).empty(); },
                        std::chrono::seconds(10)));
  for (int pid : ProcessesNaming(daemon_.dir().path().string())) {
    ADD_FAILURE() << "left running: " << pid << " " << Cmdline(pid);
    kill(pid, SIGKILL);
  }
}

// ExecSync calls racing RemoveContainer of their container: whenever the exec's files appear
// in the container's state dir during its removal, the removal still takes the whole dir
// (a chaos round found cloisond leaving it behind, its record gone; these races reach that
// window only now and then).
TEST_F(LifecycleChaos, ExecSyncRacingRemoveContainerLeavesNoStateDir) {
  const TestPod pod = RunPod("exec-race");
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string id = RunContainer(pod, "c" + std::to_string(round), {"sleep", "1000"});
    {
      std::vector<std::jthread> execs;
      for (int n = 0; n < 3; ++n) {
        execs.emplace_back([&] {  // one exec after another until the container is gone
          v1::ExecSyncResponse response;
          while (client_->Exec(id, {"echo", "x"}, 10, &response).error_code() != grpc::StatusCode::NOT_FOUND) {
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * round));
      const grpc::Status removed = client_->Remove(id);
      EXPECT_TRUE(removed.ok()) << removed.error_message();
    }
    EXPECT_THAT(EntriesOf(daemon_.dir().path() / "state/containers"), ::testing::IsEmpty());
  }
}

// RemovePodSandbox of a runsc pod whose sandbox, once dead, is not reaped at once: runsc's
// `delete --force` waits 5 s for the sandbox it killed to be gone (a zombie counts as alive),
// then fails with "context deadline exceeded", having removed the container from its state
// already. The removal must succeed. (Runsc chaos rounds met this now and then: a monitor that
// ends before its sandbox leaves it to init, which reaps orphans late, later still on a loaded
// machine; a RemoveContainer meeting the dying sandbox failed likewise, "urpc connection reset".)
// Here the sandbox's reaper, the infra container's monitor, is stopped while the pod goes (it
// reports no exit then either: the removal first waits out the infra container's stop grace).
TEST_F(LifecycleChaos, RemovingARunscPodWhoseSandboxIsReapedLateSucceeds) {
  if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
  const TestPod pod = RunPod(PodConfig("gv-late-reap", log_dir_), "runsc");
  ASSERT_FALSE(pod.id.empty());
  const std::string infra_dir = (daemon_.dir().path() / "state/sandboxes" / pod.id / "infra").string();
  const int monitor = std::atoi(ReadText(infra_dir + "/monitor.pid").c_str());
  ASSERT_GT(monitor, 0);
  ASSERT_EQ(ProcessesMatching("runsc-sandbox", infra_dir).size(), 1u);
  // The sandbox's cgroup, under the default parent /cloison: runsc's failed delete leaves it.
  const nlohmann::json spec = nlohmann::json::parse(ReadText(infra_dir + "/config.json"), nullptr, false);
  const std::string cgroup = spec["linux"].value("cgroupsPath", "");
  ASSERT_THAT(cgroup, ::testing::StartsWith("/cloison/cloison-"));
  ASSERT_TRUE(fs::exists("/sys/fs/cgroup/memory" + cgroup));
  ASSERT_EQ(kill(monitor, SIGSTOP), 0);

  const grpc::Status removed = client_->RemovePod(pod.id);
  kill(monitor, SIGCONT);  // should the removal have failed
  EXPECT_TRUE(removed.ok()) << removed.error_message();
  // The removal met the dead sandbox waiting for its reaper.
  EXPECT_THAT(daemon_.Log(), ::testing::HasSubstr("context deadline exceeded"));
  EXPECT_THAT(client_->ListPods(), ::testing::IsEmpty());
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(daemon_.dir().path().string()).empty(); },
                        std::chrono::seconds(30)));
  for (const std::string& hierarchy : EntriesOf("/sys/fs/cgroup")) {
    EXPECT_FALSE(fs::exists("/sys/fs/cgroup/" + hierarchy + cgroup)) << "left in " << hierarchy;
  }
}

}  // namespace
}  // namespace cloison::testing
