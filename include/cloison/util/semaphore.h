// A counting semaphore with a run-time bound (std::counting_semaphore's is compile-time):
// limits how many layer downloads run at once.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cloison::util {

class Semaphore {
 public:
  explicit Semaphore(int permits) : available_(permits) {}

  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Semaphore::HasPermit));
    --available_;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    ++available_;
  }

 private:
  bool HasPermit() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return available_ > 0; }

  absl::Mutex mu_;
  int available_ ABSL_GUARDED_BY(mu_);
};

// Holds one permit for its lifetime.
class SemaphoreGuard {
 public:
  explicit SemaphoreGuard(Semaphore& semaphore) : semaphore_(semaphore) { semaphore_.Acquire(); }
  ~SemaphoreGuard() { semaphore_.Release(); }
  SemaphoreGuard(const SemaphoreGuard&) = delete;
  SemaphoreGuard& operator=(const SemaphoreGuard&) = delete;

 private:
  Semaphore& semaphore_;
};

}  // namespace cloison::util
