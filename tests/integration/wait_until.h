// WaitUntil: what a test waits on instead of sleeping a fixed time (a loaded machine is slow).
#pragma once

#include <chrono>
#include <thread>

namespace cloison::testing {

// Polls `done` every 20 ms until it holds or `timeout` passes; whether it held.
template <typename Predicate>
bool WaitUntil(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace cloison::testing
