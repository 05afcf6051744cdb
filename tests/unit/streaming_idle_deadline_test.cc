// IdleDeadline: fires once after the timeout with no activity, not while touched, never with a
// zero timeout, never after Stop or once its owner is gone.
#include "cloison/streaming/idle_deadline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"

namespace cloison::streaming {
namespace {

using namespace std::chrono_literals;

// Runs `io` for `duration` of wall time, calling `each` every 20 ms.
void RunFor(boost::asio::io_context& io, std::chrono::milliseconds duration, std::function<void()> each = nullptr) {
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    io.run_for(20ms);
    if (each) each();
  }
}

TEST(IdleDeadline, FiresOnceWhenNothingHappens) {
  boost::asio::io_context io;
  auto owner = std::make_shared<int>(0);
  IdleDeadline deadline(io);
  int fired = 0;
  deadline.Start(300ms, owner, [&] { ++fired; });
  RunFor(io, 100ms);
  EXPECT_EQ(fired, 0);
  RunFor(io, 400ms);
  EXPECT_EQ(fired, 1);
  RunFor(io, 400ms);
  EXPECT_EQ(fired, 1);
}

TEST(IdleDeadline, ActivityKeepsItFromFiring) {
  boost::asio::io_context io;
  auto owner = std::make_shared<int>(0);
  IdleDeadline deadline(io);
  int fired = 0;
  deadline.Start(300ms, owner, [&] { ++fired; });
  RunFor(io, 900ms, [&] { deadline.Touch(); });  // three timeouts long, touched every 20 ms
  EXPECT_EQ(fired, 0);
  RunFor(io, 500ms);  // then silence: it fires
  EXPECT_EQ(fired, 1);
}

TEST(IdleDeadline, ZeroTimeoutNeverFires) {
  boost::asio::io_context io;
  auto owner = std::make_shared<int>(0);
  IdleDeadline deadline(io);
  int fired = 0;
  deadline.Start(0s, owner, [&] { ++fired; });
  RunFor(io, 300ms);
  EXPECT_EQ(fired, 0);
}

TEST(IdleDeadline, StopAndAGoneOwnerKeepItQuiet) {
  boost::asio::io_context io;
  int fired = 0;
  auto stopped_owner = std::make_shared<int>(0);
  IdleDeadline stopped(io);
  stopped.Start(300ms, stopped_owner, [&] { ++fired; });
  stopped.Stop();

  auto gone_owner = std::make_shared<int>(0);
  IdleDeadline orphaned(io);
  orphaned.Start(300ms, gone_owner, [&] { ++fired; });
  gone_owner.reset();

  RunFor(io, 500ms);
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace cloison::streaming
