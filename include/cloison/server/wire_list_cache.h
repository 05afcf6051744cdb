// Pre-serialized list items: keeps each item of a List answer (a container's
// ::runtime::v1::Container, a pod's ::runtime::v1::PodSandbox) as its serialized bytes, by
// id, and builds the answer (ListContainersResponse, ListPodSandboxResponse: both carry their
// items as field 1) by concatenating those bytes, each behind its field tag and length: the
// bytes the message's own serializer would produce, without building any message. An item is
// serialized again only when its version differs from the one its bytes were made for (the
// callers use the record's state, the only field of both items that changes after creation).
// Entries of ids that are gone are dropped by a walk that counts fewer records than entries.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace cloison::server {

class WireListCache {
 public:
  // One List answer, under the cache's lock from construction to Finish(): Count() every
  // record of the manager, Append() those that match the filter, in the answer's order.
  class Walk {
   public:
    explicit Walk(WireListCache& cache);
    ~Walk();
    Walk(const Walk&) = delete;
    Walk& operator=(const Walk&) = delete;

    void Count() { ++records_; }
    // Appends the item `id` at `version`; `serialize(std::string& out)` writes its bytes when
    // the cache has none for that version.
    void Append(const std::string& id, int64_t version, absl::FunctionRef<void(std::string&)> serialize);
    // The answer's bytes; drops the entries of ids no longer counted. Call once.
    std::string Finish();

   private:
    WireListCache& cache_;
    size_t records_ = 0;
    std::string wire_;
  };

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return items_.size();
  }

 private:
  struct Item {
    int64_t version = 0;
    uint64_t seen = 0;  // the walk that last appended it
    std::string bytes;
  };

  mutable absl::Mutex mu_;
  uint64_t walks_ ABSL_GUARDED_BY(mu_) = 0;
  size_t last_answer_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // reserved for the next answer
  absl::flat_hash_map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::server
