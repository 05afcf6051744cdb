#include "cloison/stats/cpu_rate.h"

namespace cloison::stats {

std::optional<uint64_t> CpuRateTracker::Rate(const std::string& key, uint64_t usage_ns, int64_t timestamp_ns) {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(key);
  std::optional<uint64_t> rate;
  if (it != last_.end() && timestamp_ns > it->second.timestamp_ns && usage_ns >= it->second.usage_ns) {
    const long double cores = static_cast<long double>(usage_ns - it->second.usage_ns) /
                              static_cast<long double>(timestamp_ns - it->second.timestamp_ns);
    rate = static_cast<uint64_t>(cores * 1e9L);
  }
  last_[key] = {usage_ns, timestamp_ns};
  return rate;
}

void CpuRateTracker::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  last_.erase(key);
}

}  // namespace cloison::stats
