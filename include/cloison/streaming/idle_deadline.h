// Ends a streaming session nobody has used for a while (containerd's and CRI-O's
// stream_idle_timeout, 4 h by default): the session calls Touch() for every read and every
// write that completes, in either direction; once the timer finds the last one older than the
// timeout, it calls on_idle, once. On the session's io_context thread only. Timeout zero: never.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"

namespace cloison::streaming {

class IdleDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit IdleDeadline(boost::asio::io_context& io);

  // Arms the timer. `owner` is the session holding this deadline: once it is gone, an expiry
  // does nothing (the timer's handler may run after its owner is destroyed).
  void Start(Clock::duration timeout, std::weak_ptr<void> owner, std::function<void()> on_idle);
  void Touch() { last_activity_ = Clock::now(); }
  void Stop();

 private:
  void Wait(std::weak_ptr<void> owner);

  boost::asio::steady_timer timer_;
  Clock::duration timeout_{};
  Clock::time_point last_activity_;
  std::function<void()> on_idle_;
};

}  // namespace cloison::streaming
