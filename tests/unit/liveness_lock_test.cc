#include "cloison/util/liveness_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "test_tmpdir.h"

extern char** environ;

namespace cloison::util {
namespace {

using ::cloison::testing::TempDir;

LockState Probe(const std::string& path) {
  absl::StatusOr<LockState> state = ProbeLivenessLock(path);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? *state : LockState::kAbsent;
}

// `sleep 1000`, given `lock_fd` as its fd 4 when it is not -1; killed and reaped when destroyed.
class Sleeper {
 public:
  explicit Sleeper(int lock_fd) {
    // From above fd 4, so that the dup2 makes a descriptor without close-on-exec.
    const UniqueFd above(lock_fd >= 0 ? fcntl(lock_fd, F_DUPFD_CLOEXEC, 10) : -1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (above.valid()) posix_spawn_file_actions_adddup2(&actions, above.get(), 4);
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("1000"), nullptr};
    if (posix_spawnp(&pid_, "sleep", &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Sleeper() { Stop(); }
  Sleeper(const Sleeper&) = delete;
  Sleeper& operator=(const Sleeper&) = delete;

  pid_t pid() const { return pid_; }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

TEST(LivenessLock, AbsentHeldAndFreeInOneProcess) {
  TempDir dir;
  const std::string path = (dir.path() / "monitor.lock").string();
  EXPECT_EQ(Probe(path), LockState::kAbsent);
  absl::StatusOr<UniqueFd> lock = TakeLivenessLock(path);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(Probe(path), LockState::kHeld);  // another open file description is refused
  absl::StatusOr<UniqueFd> second = TakeLivenessLock(path);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  lock->reset();
  EXPECT_EQ(Probe(path), LockState::kFree);
  EXPECT_EQ(Probe(path), LockState::kFree);  // probing a free lock does not keep it
  EXPECT_TRUE(TakeLivenessLock(path).ok());
}

// What cloisond does for a monitor: the lock handed to a spawned process on a fixed fd, and
// cloisond's own copy closed, stays held until that process exits.
TEST(LivenessLock, HandedToAChildIsHeldUntilItExits) {
  TempDir dir;
  const std::string path = (dir.path() / "monitor.lock").string();
  absl::StatusOr<UniqueFd> lock = TakeLivenessLock(path);
  ASSERT_TRUE(lock.ok()) << lock.status();
  Sleeper holder(lock->get());
  ASSERT_GT(holder.pid(), 0);
  lock->reset();
  EXPECT_EQ(Probe(path), LockState::kHeld);
  holder.Stop();
  EXPECT_EQ(Probe(path), LockState::kFree);
}

// The lock's descriptor is close-on-exec: a process spawned without it being handed over does
// not keep it.
TEST(LivenessLock, NotInheritedAcrossExecUnlessHandedOver) {
  TempDir dir;
  const std::string path = (dir.path() / "monitor.lock").string();
  absl::StatusOr<UniqueFd> lock = TakeLivenessLock(path);
  ASSERT_TRUE(lock.ok()) << lock.status();
  Sleeper bystander(-1);
  ASSERT_GT(bystander.pid(), 0);
  lock->reset();
  EXPECT_EQ(Probe(path), LockState::kFree);
}

}  // namespace
}  // namespace cloison::util
