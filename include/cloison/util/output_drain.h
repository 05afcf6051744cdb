// The one drain policy for a process's output once that process exited (the container
// monitors, the shim exec relay, a vm handler's ExecSync): read on until EOF, kDrainIdle
// without any output, or kDrainLimit in all, whichever comes first (processes outside the
// container, or a shim, may hold its stdio open). OutputDrain keeps one drain's clock; seeing
// EOF stays the caller's job. Header-only: cloison-monitor and cloisond both use it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace cloison::util {

inline constexpr std::chrono::milliseconds kDrainIdle{250};
inline constexpr std::chrono::seconds kDrainLimit{5};

class OutputDrain {
 public:
  using Clock = std::chrono::steady_clock;

  // The process exited: the drain starts at `now`.
  void Start(Clock::time_point now = Clock::now()) { start_ = last_output_ = now; }
  // Output was read at `now`.
  void Output(Clock::time_point now = Clock::now()) { last_output_ = now; }
  // Whether a started drain is over by its bounds at `now`.
  bool Over(Clock::time_point now = Clock::now()) const { return now >= End(); }
  // How long from `now` until it is over at most, in milliseconds (poll's timeout; 0 once over).
  int TimeoutMs(Clock::time_point now = Clock::now()) const {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(End() - now);
    return static_cast<int>(std::max<int64_t>(left.count(), 0));
  }

 private:
  Clock::time_point End() const { return std::min(start_ + kDrainLimit, last_output_ + kDrainIdle); }

  Clock::time_point start_;
  Clock::time_point last_output_;
};

}  // namespace cloison::util
