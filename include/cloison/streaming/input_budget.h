// How much of what a streaming client sent a session still holds for a slower consumer (an
// exec's stdin, a connection into the pod): past `limit` bytes the session stops reading its
// client until half of it is written, as Go's spdystream blocks its reader on kubelet's side.
// Without it, `kubectl cp` into a pod whose tar reads slowly, or a port-forward upload to a
// server that does not read, would grow cloisond's memory by what the client sends.
// On the session's io_context thread only.
#pragma once

#include <cstdint>
#include <functional>

namespace cloison::streaming {

// The limit the streaming sessions use.
inline constexpr int64_t kMaxHeldInput = 4 << 20;

class InputBudget {
 public:
  // `hold(true)` stops the session's reads, `hold(false)` resumes them.
  InputBudget(int64_t limit, std::function<void(bool hold)> hold) : limit_(limit), hold_(std::move(hold)) {}

  // Bytes handed on to the consumer.
  void Take(int64_t bytes) { Move(bytes); }
  // Bytes the consumer wrote, or dropped.
  void Give(int64_t bytes) { Move(-bytes); }
  int64_t held() const { return held_; }

 private:
  void Move(int64_t delta) {
    const bool was_holding = holding_;
    held_ += delta;
    if (!was_holding && held_ > limit_) holding_ = true;
    if (was_holding && held_ <= limit_ / 2) holding_ = false;
    if (holding_ != was_holding) hold_(holding_);
  }

  const int64_t limit_;
  std::function<void(bool)> hold_;
  int64_t held_ = 0;
  bool holding_ = false;
};

}  // namespace cloison::streaming
