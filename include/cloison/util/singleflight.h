// Runs one piece of work per key at a time: callers asking for a key whose work is already
// running wait for it and share its result instead of doing it again (two pulls of one
// image download each blob once).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace cloison::util {

class SingleFlight {
 public:
  // Runs `work` unless work for `key` is running already, in which case it waits for that
  // run and returns its status.
  absl::Status Do(const std::string& key, const std::function<absl::Status()>& work) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      absl::MutexLock lock(&mu_);
      auto [it, inserted] = flights_.try_emplace(key, nullptr);
      if (inserted) it->second = std::make_shared<Flight>();
      flight = it->second;
      leader = inserted;
    }
    if (!leader) {
      absl::MutexLock lock(&flight->mu);
      flight->mu.Await(absl::Condition(&flight->done));
      return flight->status;
    }
    absl::Status status = work();
    {
      absl::MutexLock lock(&mu_);
      flights_.erase(key);
    }
    absl::MutexLock lock(&flight->mu);
    flight->status = status;
    flight->done = true;
    return status;
  }

 private:
  struct Flight {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status status ABSL_GUARDED_BY(mu);
  };

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::util
