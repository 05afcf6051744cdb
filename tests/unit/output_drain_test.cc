// util::OutputDrain: a drain started at an exit is over kDrainIdle after the last output, and
// kDrainLimit after the exit however often output came; TimeoutMs counts down to that end.
#include "cloison/util/output_drain.h"

#include <chrono>

#include "gtest/gtest.h"

namespace cloison::util {
namespace {

using std::chrono::milliseconds;
using Clock = OutputDrain::Clock;

TEST(OutputDrainTest, EndsIdleAfterTheLastOutput) {
  const Clock::time_point exit = Clock::now();
  OutputDrain drain;
  drain.Start(exit);
  EXPECT_FALSE(drain.Over(exit));
  EXPECT_EQ(drain.TimeoutMs(exit), kDrainIdle.count());
  drain.Output(exit + milliseconds(200));
  EXPECT_FALSE(drain.Over(exit + kDrainIdle));  // output 200 ms in restarted the idle bound
  EXPECT_EQ(drain.TimeoutMs(exit + kDrainIdle), 200);
  EXPECT_TRUE(drain.Over(exit + milliseconds(200) + kDrainIdle));
  EXPECT_EQ(drain.TimeoutMs(exit + milliseconds(200) + kDrainIdle), 0);
  EXPECT_EQ(drain.TimeoutMs(exit + kDrainLimit), 0);  // never negative
}

TEST(OutputDrainTest, EndsAtTheLimitWhileOutputKeepsComing) {
  const Clock::time_point exit = Clock::now();
  OutputDrain drain;
  drain.Start(exit);
  for (milliseconds at{100}; at < kDrainLimit; at += milliseconds(100)) {
    drain.Output(exit + at);
    EXPECT_FALSE(drain.Over(exit + at)) << at.count();
  }
  EXPECT_EQ(drain.TimeoutMs(exit + kDrainLimit - milliseconds(10)), 10);  // the limit, not the idle bound
  EXPECT_TRUE(drain.Over(exit + kDrainLimit));
}

TEST(OutputDrainTest, StartForgetsOutputBeforeTheExit) {
  const Clock::time_point exit = Clock::now();
  OutputDrain drain;
  drain.Output(exit - kDrainLimit);
  drain.Start(exit);
  EXPECT_FALSE(drain.Over(exit + kDrainIdle - milliseconds(1)));
}

}  // namespace
}  // namespace cloison::util
