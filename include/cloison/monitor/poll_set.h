// One round of the monitor's single-threaded poll(2) loop: descriptors are registered with a
// callback, polled once, the callbacks of ready ones run in registration order, and the set
// is emptied for the next round. Callbacks may close descriptors registered after them; they
// must then check validity themselves (poll reports POLLNVAL, which is not dispatched).
#pragma once

#include <poll.h>

#include <functional>
#include <vector>

namespace cloison::monitor {

class PollSet {
 public:
  using Callback = std::function<void(short revents)>;

  void Add(int fd, short events, Callback callback);
  // Polls for up to timeout_ms (-1 = no limit) and runs the callbacks of ready descriptors.
  void Run(int timeout_ms);

 private:
  std::vector<pollfd> fds_;
  std::vector<Callback> callbacks_;
};

}  // namespace cloison::monitor
