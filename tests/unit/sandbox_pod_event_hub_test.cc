// PodEventHub: order, fan-out, the bound that drops a subscriber that never reads (without
// blocking the publisher), unsubscribing and Close.
#include "cloison/sandbox/pod_event_hub.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace cloison::sandbox {
namespace {

using Next = PodEventHub::Subscription::Next;

TEST(PodEventHub, EverySubscriberGetsTheEventsInOrder) {
  PodEventHub hub;
  auto first = hub.Subscribe();
  auto second = hub.Subscribe();
  hub.Publish(PodEventType::kCreated, "c1", "p1");
  hub.Publish(PodEventType::kStarted, "c1", "p1");
  for (auto* subscription : {first.get(), second.get()}) {
    PodEvent event;
    ASSERT_EQ(subscription->Wait(absl::ZeroDuration(), event), Next::kEvent);
    EXPECT_EQ(event.type, PodEventType::kCreated);
    EXPECT_EQ(event.container_id, "c1");
    EXPECT_EQ(event.pod_id, "p1");
    EXPECT_GT(event.created_at_ns, 0);
    ASSERT_EQ(subscription->Wait(absl::ZeroDuration(), event), Next::kEvent);
    EXPECT_EQ(event.type, PodEventType::kStarted);
    EXPECT_EQ(subscription->Wait(absl::ZeroDuration(), event), Next::kTimedOut);
  }
}

TEST(PodEventHub, ASubscriberThatNeverReadsIsDroppedAndThePublisherGoesOn) {
  constexpr size_t kBound = 8;
  PodEventHub hub(kBound);
  auto idle = hub.Subscribe();
  auto reader = hub.Subscribe();
  // Twenty times the bound, published from this one thread, with the idle subscriber never
  // reading: a publisher that waited for it would never get through the loop.
  constexpr int kPublished = 20 * kBound;
  for (int i = 0; i < kPublished; ++i) {
    hub.Publish(PodEventType::kStopped, std::to_string(i), "p");
    PodEvent event;
    ASSERT_EQ(reader->Wait(absl::ZeroDuration(), event), Next::kEvent) << "event " << i;
    EXPECT_EQ(event.container_id, std::to_string(i));
  }
  PodEvent event;
  EXPECT_EQ(idle->Wait(absl::ZeroDuration(), event), Next::kDropped);
  EXPECT_EQ(idle->Wait(absl::ZeroDuration(), event), Next::kDropped);  // it stays dropped
}

TEST(PodEventHub, TheBoundIsExactAndADroppedQueueIsEmptied) {
  constexpr size_t kBound = 4;
  PodEventHub hub(kBound);
  auto subscription = hub.Subscribe();
  for (size_t i = 0; i < kBound; ++i) hub.Publish(PodEventType::kCreated, std::to_string(i), "p");
  PodEvent event;
  ASSERT_EQ(subscription->Wait(absl::ZeroDuration(), event), Next::kEvent);  // kBound queued: not dropped
  for (size_t i = 0; i < 2; ++i) hub.Publish(PodEventType::kCreated, "more", "p");
  EXPECT_EQ(subscription->Wait(absl::ZeroDuration(), event), Next::kDropped);
}

TEST(PodEventHub, AWaitingSubscriberWakesForAnEventFromAnotherThread) {
  PodEventHub hub;
  auto subscription = hub.Subscribe();
  std::jthread publisher([&] { hub.Publish(PodEventType::kDeleted, "c", "p"); });
  PodEvent event;
  ASSERT_EQ(subscription->Wait(absl::InfiniteDuration(), event), Next::kEvent);
  EXPECT_EQ(event.type, PodEventType::kDeleted);
}

TEST(PodEventHub, CloseEndsSubscriptionsAfterTheirQueuedEvents) {
  PodEventHub hub;
  auto subscription = hub.Subscribe();
  hub.Publish(PodEventType::kStopped, "c", "p");
  std::jthread closer([&] { hub.Close(); });
  closer.join();
  hub.Publish(PodEventType::kDeleted, "c", "p");  // after Close: not queued
  PodEvent event;
  ASSERT_EQ(subscription->Wait(absl::InfiniteDuration(), event), Next::kEvent);
  EXPECT_EQ(event.type, PodEventType::kStopped);
  EXPECT_EQ(subscription->Wait(absl::InfiniteDuration(), event), Next::kClosed);
}

TEST(PodEventHub, AnEndedSubscriptionNoLongerCounts) {
  constexpr size_t kBound = 2;
  PodEventHub hub(kBound);
  auto kept = hub.Subscribe();
  hub.Subscribe().reset();  // subscribed and gone at once
  for (int i = 0; i < 10; ++i) {
    hub.Publish(PodEventType::kCreated, "c", "p");
    PodEvent event;
    ASSERT_EQ(kept->Wait(absl::ZeroDuration(), event), Next::kEvent);
  }
  auto late = hub.Subscribe();  // sees only what is published from now on
  PodEvent event;
  EXPECT_EQ(late->Wait(absl::ZeroDuration(), event), Next::kTimedOut);
}

}  // namespace
}  // namespace cloison::sandbox
