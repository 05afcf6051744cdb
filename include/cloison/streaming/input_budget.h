// How much of what a streaming client sent a session still holds for a slower consumer (an
// exec's stdin, a connection into the pod): past `limit` bytes the session stops reading its
// client until half of it is written, as Go's spdystream blocks its reader on kubelet's side.
// Without it, `kubectl cp` into a pod whose tar reads slowly, or a port-forward upload to a
// server that does not read, would grow cloisond's memory by what the client sends.
// On the session's io_context thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace cloison::streaming {

// The limit the streaming sessions use.
inline constexpr int64_t kMaxHeldInput = 4 << 20;

class InputBudget {
 public:
  // `hold(true)` stops the session's reads, `hold(false)` resumes them.
  InputBudget(int64_t limit, std::function<void(bool hold)> hold)
      : count_(std::make_shared<Count>(Count{limit, std::move(hold)})) {}

  // Bytes handed on to the consumer.
  void Take(int64_t bytes) { count_->Move(bytes); }
  // Bytes the consumer wrote, or dropped.
  void Give(int64_t bytes) { count_->Move(-bytes); }
  // Give(bytes) for a consumer that calls back later: does nothing once this budget (and so
  // the session holding it) is gone.
  std::function<void()> GiveLater(int64_t bytes) const {
    return [count = std::weak_ptr<Count>(count_), bytes] {
      if (std::shared_ptr<Count> alive = count.lock()) alive->Move(-bytes);
    };
  }
  int64_t held() const { return count_->held; }

 private:
  struct Count {
    void Move(int64_t delta) {
      const bool was_holding = holding;
      held += delta;
      if (!was_holding && held > limit) holding = true;
      if (was_holding && held <= limit / 2) holding = false;
      if (holding != was_holding) hold(holding);
    }

    const int64_t limit;
    std::function<void(bool)> hold;
    int64_t held = 0;
    bool holding = false;
  };

  std::shared_ptr<Count> count_;
};

}  // namespace cloison::streaming
