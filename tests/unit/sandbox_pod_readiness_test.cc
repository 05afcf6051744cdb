#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloison/sandbox/namespace_pinner.h"
#include "cloison/sandbox/pod_readiness.h"
#include "test_tmpdir.h"

namespace cloison::sandbox {
namespace {

namespace v1 = ::runtime::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A child process that is PID 1 of a PID namespace of its own (as an infra container's
// pause), killed and reaped when the guard goes.
class PidNamespaceChild {
 public:
  PidNamespaceChild() {
    pid_ = static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    if (pid_ == 0) {
      while (true) pause();
    }
  }
  ~PidNamespaceChild() { Kill(); }
  pid_t pid() const { return pid_; }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// A pid no process has: a child's, once it has been reaped.
pid_t ReapedPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

SandboxRecord ReadyPod() {
  SandboxRecord record;
  record.id = "pod1";
  record.state = SandboxState::kReady;
  // A PID namespace per container (proto3's default, POD, shares one).
  record.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::NamespaceMode::CONTAINER);
  record.netns_path = "/proc/self/ns/net";
  record.ipcns_path = "/proc/self/ns/ipc";
  record.utsns_path = "/proc/self/ns/uts";
  return record;
}

SandboxRecord SharedPidPod(int infra_pid, const std::string& pidns_path) {
  SandboxRecord record = ReadyPod();
  record.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::NamespaceMode::POD);
  record.infra_container_id = record.id;
  record.infra_pid = infra_pid;
  record.infra_running = true;
  record.pidns_path = pidns_path;
  return record;
}

TEST(PodReadiness, APodWithItsNamespacesAndItsInfraContainerStands) {
  EXPECT_THAT(MissingWall(ReadyPod()), IsEmpty());
  EXPECT_THAT(MissingWall(SharedPidPod(getpid(), "/proc/self/ns/pid")), IsEmpty());
  SandboxRecord host_pid = ReadyPod();
  host_pid.host_pid = true;
  host_pid.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::NamespaceMode::NODE);
  EXPECT_FALSE(SharesPidNamespace(host_pid));
  EXPECT_THAT(MissingWall(host_pid), IsEmpty());
}

TEST(PodReadiness, AGoneOrUnmountedPinIsAMissingWall) {
  testing::TempDir tmp;
  SandboxRecord gone = ReadyPod();
  gone.netns_path = (tmp.path() / "ns/net").string();
  EXPECT_THAT(MissingWall(gone), HasSubstr("network namespace " + gone.netns_path + " is gone"));
  SandboxRecord unmounted = ReadyPod();
  unmounted.utsns_path = tmp.Write("ns/uts", "");  // the empty file an unmount leaves
  EXPECT_THAT(MissingWall(unmounted), HasSubstr("UTS namespace"));
  SandboxRecord pid = SharedPidPod(getpid(), tmp.Write("ns/pid", ""));
  EXPECT_THAT(MissingWall(pid), HasSubstr("PID namespace"));
}

TEST(PodReadiness, AnInfraContainerNotRunningOrAnUnpinnedSharedPidNamespaceIsAMissingWall) {
  SandboxRecord exited = SharedPidPod(getpid(), "/proc/self/ns/pid");
  exited.infra_running = false;
  EXPECT_THAT(MissingWall(exited), HasSubstr("infra container is not running"));
  EXPECT_THAT(MissingWall(SharedPidPod(getpid(), "")), HasSubstr("not pinned"));
}

TEST(PodReadiness, DemotesOnlyAReadyPodWithAMissingWall) {
  SandboxRecord standing = ReadyPod();
  EXPECT_FALSE(DemoteIfWallMissing(standing));
  EXPECT_EQ(standing.state, SandboxState::kReady);
  SandboxRecord fallen = SharedPidPod(getpid(), "/proc/self/ns/pid");
  fallen.infra_running = false;
  EXPECT_TRUE(DemoteIfWallMissing(fallen));
  EXPECT_EQ(fallen.state, SandboxState::kNotReady);
  EXPECT_FALSE(DemoteIfWallMissing(fallen));  // already NOTREADY
  SandboxRecord stopping = SharedPidPod(getpid(), "/proc/self/ns/pid");
  stopping.infra_running = false;
  EXPECT_TRUE(DemoteIfWallMissing(stopping, DemotionCause::kStopping));  // the same, only logged at info
  EXPECT_EQ(stopping.state, SandboxState::kNotReady);
}

TEST(SharedPidNamespace, IsThePinWhileTheInfraContainerRunsInIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a PID namespace, a bind mount)";
  testing::TempDir tmp;
  PidNamespaceChild infra;
  ASSERT_GT(infra.pid(), 0);
  absl::StatusOr<std::string> pin = PinPidNamespace(infra.pid(), (tmp.path() / "ns").string());
  ASSERT_TRUE(pin.ok()) << pin.status();
  struct PinGuard {
    PinnedNamespaces pinned;
    ~PinGuard() { (void)UnpinNamespaces(pinned); }
  } guard;
  guard.pinned.pid = *pin;
  EXPECT_EQ(*pin, (tmp.path() / "ns/pid").string());
  EXPECT_EQ(PinPidNamespace(infra.pid(), (tmp.path() / "ns").string()).status().code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<std::string> joined = SharedPidNamespace(SharedPidPod(infra.pid(), *pin));
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(*joined, *pin);

  // Its pid taken over by a process of another PID namespace (ours): refused, by the namespace.
  absl::StatusOr<std::string> reused = SharedPidNamespace(SharedPidPod(getpid(), *pin));
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reused.status().message(), HasSubstr("pod_sandbox_id: pod sandbox pod1"));
  EXPECT_THAT(reused.status().message(), HasSubstr("no longer runs in the pod's PID namespace"));

  // Gone: refused, though the pin still holds the (now dead) namespace.
  const int infra_pid = infra.pid();
  infra.Kill();
  EXPECT_EQ(SharedPidNamespace(SharedPidPod(infra_pid, *pin)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(MissingWall(SharedPidPod(infra_pid, *pin)), IsEmpty());  // the flag tells, not the pid

  ASSERT_TRUE(UnpinNamespaces(guard.pinned).ok());
  struct stat unpinned {};
  EXPECT_NE(stat(pin->c_str(), &unpinned), 0);
}

TEST(SharedPidNamespace, RefusesWhenTheInfraContainerIsNotRunningOrUnpinned) {
  SandboxRecord exited = SharedPidPod(getpid(), "/proc/self/ns/pid");
  exited.infra_running = false;
  absl::StatusOr<std::string> refused = SharedPidNamespace(exited);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("pod_sandbox_id"));
  EXPECT_EQ(SharedPidNamespace(SharedPidPod(ReapedPid(), "/proc/self/ns/pid")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(SharedPidNamespace(SharedPidPod(getpid(), "")).status().message(), HasSubstr("not pinned"));
  testing::TempDir tmp;
  EXPECT_THAT(SharedPidNamespace(SharedPidPod(getpid(), tmp.Write("pid", ""))).status().message(),
              HasSubstr("is gone"));
}

}  // namespace
}  // namespace cloison::sandbox
