// PinTargetPidNamespace on real processes (root: it bind-mounts): a process in a PID namespace of
// its own is pinned and unpinned; one in the test's (the host's) PID namespace, one whose cgroup
// does not name the target (a reused pid) and one that is gone are refused, leaving no pin.
#include "cloison/container/target_pid_pin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_tmpdir.h"

namespace cloison::container {
namespace {

using ::testing::HasSubstr;

constexpr char kField[] = "namespace_options.target_id";

// A child process that is PID 1 of a new PID namespace, killed and reaped on destruction.
class PidNamespaceChild {
 public:
  PidNamespaceChild() {
    // Raw clone without a new stack behaves as fork(), here into a new PID namespace.
    pid_ = static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    if (pid_ == 0) {
      pause();
      _exit(0);
    }
  }
  ~PidNamespaceChild() { Reap(); }
  pid_t pid() const { return pid_; }
  void Reap() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

// The first cgroup path /proc/<pid>/cgroup lists for `pid`.
std::string CgroupPathOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  std::getline(in, line);
  return line.substr(line.find(':', line.find(':') + 1) + 1);
}

class TargetPidPin : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (bind mounts, PID namespaces)";
  }
  std::string Pin() const { return (dir_.path() / "ns" / "pid").string(); }

  cloison::testing::TempDir dir_;
};

TEST_F(TargetPidPin, PinsTheNamespaceOfTheTargetsProcessUntilUnpinned) {
  PidNamespaceChild child;
  ASSERT_GT(child.pid(), 0);
  // The pin checks that the process's cgroup names the target: the child's own cgroup path
  // stands in for a container's here.
  absl::StatusOr<std::string> pinned =
      PinTargetPidNamespace({CgroupPathOf(child.pid()), child.pid()}, dir_.path().string(), kField);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(*pinned, Pin());
  struct stat pin {}, theirs {};
  ASSERT_EQ(stat(Pin().c_str(), &pin), 0);
  ASSERT_EQ(stat(("/proc/" + std::to_string(child.pid()) + "/ns/pid").c_str(), &theirs), 0);
  EXPECT_EQ(pin.st_ino, theirs.st_ino);
  EXPECT_EQ(pin.st_dev, theirs.st_dev);

  // The namespace outlives its process while pinned.
  child.Reap();
  ASSERT_EQ(stat(Pin().c_str(), &pin), 0);
  EXPECT_EQ(pin.st_ino, theirs.st_ino);

  EXPECT_TRUE(UnpinTargetPidNamespace(dir_.path().string()).ok());
  EXPECT_FALSE(std::filesystem::exists(Pin()));
  EXPECT_TRUE(UnpinTargetPidNamespace(dir_.path().string()).ok());  // idempotent
}

TEST_F(TargetPidPin, RefusesAProcessInTheHostsPidNamespace) {
  const absl::StatusOr<std::string> pinned =
      PinTargetPidNamespace({CgroupPathOf(getpid()), getpid()}, dir_.path().string(), kField);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pinned.status().message(), HasSubstr(kField));
  EXPECT_THAT(pinned.status().message(), HasSubstr("the host's"));
  EXPECT_FALSE(std::filesystem::exists(Pin()));
}

TEST_F(TargetPidPin, RefusesAProcessWhoseCgroupDoesNotNameTheTarget) {
  PidNamespaceChild child;
  ASSERT_GT(child.pid(), 0);
  const absl::StatusOr<std::string> pinned =
      PinTargetPidNamespace({std::string(64, 'f'), child.pid()}, dir_.path().string(), kField);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pinned.status().message(), HasSubstr("is another process's now"));
  EXPECT_FALSE(std::filesystem::exists(Pin()));
}

TEST_F(TargetPidPin, RefusesAProcessThatIsGone) {
  PidNamespaceChild child;
  ASSERT_GT(child.pid(), 0);
  const pid_t gone = child.pid();
  child.Reap();
  // (Should another process have taken the pid meanwhile, it is refused as not the target's.)
  const absl::StatusOr<std::string> pinned =
      PinTargetPidNamespace({std::string(64, 'e'), gone}, dir_.path().string(), kField);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pinned.status().message(), HasSubstr(kField));
  EXPECT_FALSE(std::filesystem::exists(Pin()));
}

}  // namespace
}  // namespace cloison::container
