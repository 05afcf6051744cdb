// One-time tokens for streaming requests, as Kubernetes' streaming server issues them: 8
// characters of base64url from getrandom(2), each good for one connection within one minute,
// at most 1000 outstanding (RESOURCE_EXHAUSTED beyond, once expired ones are dropped).
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloison/streaming/stream_request.h"

namespace cloison::streaming {

class RequestCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  static constexpr std::chrono::seconds kTtl{60};
  static constexpr size_t kMaxInFlight = 1000;

  explicit RequestCache(Clock clock = std::chrono::steady_clock::now) : clock_(std::move(clock)) {}

  absl::StatusOr<std::string> Insert(StreamRequest request);
  // NOT_FOUND for an unknown, used or expired token; the token is gone afterwards.
  absl::StatusOr<StreamRequest> Consume(const std::string& token);

 private:
  struct Entry {
    StreamRequest request;
    std::chrono::steady_clock::time_point expires;
  };
  void DropExpiredLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock clock_;
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::streaming
