#include "cloison/image/store_usage.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <utility>

namespace cloison::image {

StoreUsage MeasureStoreUsage(const std::string& dir) {
  StoreUsage usage;
  usage.mountpoint = dir;
  std::set<std::pair<dev_t, ino_t>> seen;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    struct stat st{};
    if (lstat(it->path().c_str(), &st) != 0) continue;
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;  // hard links count once
    usage.inodes_used += 1;
    usage.used_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return usage;
}

StoreUsageCache::StoreUsageCache(std::function<StoreUsage()> measure) : measure_(std::move(measure)) {}

StoreUsage StoreUsageCache::Get() {
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    if (remembered_) return *remembered_;
    generation = generation_;
  }
  StoreUsage usage = measure_();
  absl::MutexLock lock(&mu_);
  if (generation_ == generation && changes_in_progress_ == 0) remembered_ = usage;
  return usage;
}

void StoreUsageCache::BeginChange() {
  absl::MutexLock lock(&mu_);
  ++changes_in_progress_;
  ++generation_;
  remembered_.reset();
}

void StoreUsageCache::EndChange() {
  absl::MutexLock lock(&mu_);
  --changes_in_progress_;
  ++generation_;
  remembered_.reset();
}

StoreUsageCache::Change::Change(StoreUsageCache& cache) : cache_(cache) { cache_.BeginChange(); }

StoreUsageCache::Change::~Change() { cache_.EndChange(); }

}  // namespace cloison::image
