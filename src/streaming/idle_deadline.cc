#include "cloison/streaming/idle_deadline.h"

namespace cloison::streaming {

IdleDeadline::IdleDeadline(boost::asio::io_context& io) : timer_(io), last_activity_(Clock::now()) {}

void IdleDeadline::Start(Clock::duration timeout, std::weak_ptr<void> owner, std::function<void()> on_idle) {
  if (timeout <= Clock::duration::zero()) return;
  timeout_ = timeout;
  on_idle_ = std::move(on_idle);
  Touch();
  Wait(std::move(owner));
}

void IdleDeadline::Stop() {
  on_idle_ = nullptr;
  timer_.cancel();
}

void IdleDeadline::Wait(std::weak_ptr<void> owner) {
  // Re-armed from the last activity rather than at every Touch(): a busy session costs one
  // clock read per read or write, not a timer operation.
  timer_.expires_at(last_activity_ + timeout_);
  timer_.async_wait([this, owner](const boost::system::error_code& ec) {
    const std::shared_ptr<void> alive = owner.lock();
    if (ec || !alive || !on_idle_) return;
    if (Clock::now() - last_activity_ < timeout_) return Wait(owner);
    std::function<void()> on_idle = std::move(on_idle_);
    on_idle_ = nullptr;
    on_idle();
  });
}

}  // namespace cloison::streaming
