#include "cloison/sandbox/pod_event_hub.h"

#include "cloison/util/ids.h"

namespace cloison::sandbox {

std::unique_ptr<PodEventHub::Subscription> PodEventHub::Subscribe() {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  queues_[id];
  return std::unique_ptr<Subscription>(new Subscription(*this, id));
}

void PodEventHub::Publish(PodEventType type, const std::string& container_id, const std::string& pod_id,
                          std::shared_ptr<const SandboxRecord> removed_pod) {
  absl::MutexLock lock(&mu_);
  // Stamped under the lock, so that times never run backwards in a subscriber's queue.
  const PodEvent event{type, container_id, pod_id, util::NowNanos(), std::move(removed_pod)};
  if (closed_) return;
  for (auto& [id, queue] : queues_) {
    if (queue.dropped) continue;
    if (queue.events.size() >= queue_bound_) {
      queue.dropped = true;
      queue.events.clear();
      continue;
    }
    queue.events.push_back(event);
  }
}

void PodEventHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

PodEventHub::Subscription::~Subscription() {
  absl::MutexLock lock(&hub_.mu_);
  hub_.queues_.erase(id_);
}

PodEventHub::Subscription::Next PodEventHub::Subscription::Wait(absl::Duration timeout, PodEvent& event) {
  absl::MutexLock lock(&hub_.mu_);
  Queue& queue = hub_.queues_.at(id_);
  const auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hub_.mu_) {
    return !queue.events.empty() || queue.dropped || hub_.closed_;
  };
  hub_.mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (!queue.events.empty()) {
    event = std::move(queue.events.front());
    queue.events.pop_front();
    return Next::kEvent;
  }
  if (queue.dropped) return Next::kDropped;
  return hub_.closed_ ? Next::kClosed : Next::kTimedOut;
}

}  // namespace cloison::sandbox
