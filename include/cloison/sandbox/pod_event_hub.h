// The lifecycle events of pods and their containers (CRI GetContainerEvents): the managers
// publish, each open GetContainerEvents stream subscribes. Publish() never blocks on a
// subscriber and does no I/O, so the managers call it under their own locks, right where a
// state changes: each subscriber sees the events in the order the changes happened. Every
// subscriber has a queue bounded at `queue_bound` events; one that falls that far behind is
// dropped (its queue emptied, Next() answers kDropped) rather than slowing the publishers or
// growing without bound, as containerd's event broadcaster drops a slow subscriber. Close()
// (daemon shutdown) ends every subscription once its queued events are read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloison/sandbox/sandbox_record.h"

namespace cloison::sandbox {

enum class PodEventType { kCreated, kStarted, kStopped, kDeleted };

struct PodEvent {
  PodEventType type = PodEventType::kCreated;
  std::string container_id;  // the pod's own id for the pod's events
  std::string pod_id;
  int64_t created_at_ns = 0;
  // The pod's record when it was removed (the pod's own kDeleted event), null otherwise: the
  // pod's status goes out with its deletion although its record is gone.
  std::shared_ptr<const SandboxRecord> removed_pod;
};

class PodEventHub {
 public:
  static constexpr size_t kDefaultQueueBound = 1000;

  // One subscriber's end; destroying it unsubscribes. Next() is called from one thread.
  class Subscription {
   public:
    enum class Next { kEvent, kTimedOut, kDropped, kClosed };
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // The next event into `event`, waiting up to `timeout` for one.
    Next Wait(absl::Duration timeout, PodEvent& event);

   private:
    friend class PodEventHub;
    Subscription(PodEventHub& hub, uint64_t id) : hub_(hub), id_(id) {}
    PodEventHub& hub_;
    const uint64_t id_;
  };

  explicit PodEventHub(size_t queue_bound = kDefaultQueueBound) : queue_bound_(queue_bound) {}

  std::unique_ptr<Subscription> Subscribe();
  // Stamps the event with the current time and queues it for every subscriber.
  void Publish(PodEventType type, const std::string& container_id, const std::string& pod_id,
               std::shared_ptr<const SandboxRecord> removed_pod = nullptr);
  void Close();

 private:
  struct Queue {
    std::deque<PodEvent> events;
    bool dropped = false;
  };

  const size_t queue_bound_;
  absl::Mutex mu_;
  std::map<uint64_t, Queue> queues_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cloison::sandbox
