// CPU usage rates (nano-cores) from cumulative usage: each call compares with the previous
// sample of the same key (a container or pod id) and keeps the new one. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cloison::stats {

class CpuRateTracker {
 public:
  // Nano-cores since the previous sample of `key`; nullopt for the first sample, when time did
  // not advance, or when the counter went backwards (a new cgroup under the same key).
  std::optional<uint64_t> Rate(const std::string& key, uint64_t usage_ns, int64_t timestamp_ns);
  void Forget(const std::string& key);

 private:
  struct Sample {
    uint64_t usage_ns = 0;
    int64_t timestamp_ns = 0;
  };
  absl::Mutex mu_;
  std::map<std::string, Sample> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::stats
