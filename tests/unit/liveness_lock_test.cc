#include "cloison/util/liveness_lock.h"

#include <gtest/gtest.h>

#include <string>

#include "fd_holding_sleeper.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

using ::cloison::testing::FdHoldingSleeper;
using ::cloison::testing::TempDir;

LockState Probe(const std::string& path) {
  absl::StatusOr<LockState> state = ProbeLivenessLock(path);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? *state : LockState::kAbsent;
}

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
  FdHoldingSleeper holder(lock->get());
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
  FdHoldingSleeper bystander(-1);
  ASSERT_GT(bystander.pid(), 0);
  lock->reset();
  EXPECT_EQ(Probe(path), LockState::kFree);
}

}  // namespace
}  // namespace cloison::util
