#include "cloison/monitor/poll_set.h"

#include <utility>

namespace cloison::monitor {

void PollSet::Add(int fd, short events, Callback callback) {
  fds_.push_back(pollfd{fd, events, 0});
  callbacks_.push_back(std::move(callback));
}

void PollSet::Run(int timeout_ms) {
  const int ready = poll(fds_.data(), fds_.size(), timeout_ms);
  for (size_t i = 0; ready > 0 && i < fds_.size(); ++i) {
    if (fds_[i].revents != 0 && (fds_[i].revents & POLLNVAL) == 0) callbacks_[i](fds_[i].revents);
  }
  fds_.clear();
  callbacks_.clear();
}

}  // namespace cloison::monitor
