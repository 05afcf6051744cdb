// The image store's filesystem usage, as ImageFsInfo reports it, and the cache that keeps
// ImageFsInfo (kubelet asks every ~10 s) from walking the whole store on each call.
//
// StoreUsageCache remembers the last measurement until the store changes. Whoever changes the
// store holds a StoreUsageCache::Change for as long as the change lasts (a pull, a removal, a
// garbage collection): while one is alive, each Get measures afresh (the usage is moving);
// when it ends, the remembered value is dropped. A measurement that a change overlapped is
// returned but not remembered. So a Get that starts after a change ended sees its effect.
// Thread-safe; its lock is a leaf (Get measures without holding it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cloison::image {

struct StoreUsage {
  std::string mountpoint;  // the images directory
  uint64_t used_bytes = 0;
  uint64_t inodes_used = 0;
};

// Walks `dir`: the blocks and inodes of everything under it (hard links once).
StoreUsage MeasureStoreUsage(const std::string& dir);

class StoreUsageCache {
 public:
  explicit StoreUsageCache(std::function<StoreUsage()> measure);

  StoreUsage Get();

  class Change {
   public:
    explicit Change(StoreUsageCache& cache);
    ~Change();
    Change(const Change&) = delete;
    Change& operator=(const Change&) = delete;

   private:
    StoreUsageCache& cache_;
  };

 private:
  // Both drop the remembered value and move the generation on.
  void BeginChange();
  void EndChange();

  const std::function<StoreUsage()> measure_;
  absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int changes_in_progress_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<StoreUsage> remembered_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::image
