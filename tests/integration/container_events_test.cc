// Integration tests of GetContainerEvents against the real cloisond and runc: the events of a
// pod and of a container, in order, with their ids and the statuses they carry, seen alike by
// two subscribers; a container's own exit, also one that comes before StartContainer answers;
// a cancelled stream that lets go of its subscription; and a shutdown that does not wait for an
// open stream.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/synchronization/mutex.h"
#include "pod_fixture.h"
#include "wait_until.h"

namespace cloison::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One GetContainerEvents stream, read by a thread of its own into `events`.
class EventStream {
 public:
  explicit EventStream(CriClient& client) : reader_(client.Events(&context_)) {
    reading_ = std::jthread([this] {
      for (v1::ContainerEventResponse event; reader_->Read(&event);) {
        absl::MutexLock lock(&mu_);
        events_.push_back(event);
      }
      const grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      ended_ = true;
    });
  }
  ~EventStream() {
    context_.TryCancel();
    reading_.join();
  }

  void Cancel() { context_.TryCancel(); }

  std::vector<v1::ContainerEventResponse> Events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Waits until `count` events have come; all of them then.
  std::vector<v1::ContainerEventResponse> WaitForEvents(size_t count) const {
    EXPECT_TRUE(WaitUntil([&] { return Events().size() >= count; })) << "events so far: " << Events().size();
    return Events();
  }
  // Waits until the stream has ended; how it ended (nullopt if it has not).
  std::optional<grpc::Status> WaitForEnd(std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    const bool ended = WaitUntil(
        [&] {
          absl::MutexLock lock(&mu_);
          return ended_;
        },
        timeout);
    if (!ended) return std::nullopt;
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader_;
  mutable absl::Mutex mu_;
  std::vector<v1::ContainerEventResponse> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::jthread reading_;  // last: joined before the rest goes
};

// "<type> <id>" of each event, what the order checks compare.
std::vector<std::string> Summary(const std::vector<v1::ContainerEventResponse>& events) {
  std::vector<std::string> out;
  for (const v1::ContainerEventResponse& event : events) {
    out.push_back(v1::ContainerEventType_Name(event.container_event_type()) + " " + event.container_id());
  }
  return out;
}

std::vector<std::string> ContainerNames(const v1::ContainerEventResponse& event) {
  std::vector<std::string> names;
  for (const v1::ContainerStatus& status : event.containers_statuses()) names.push_back(status.metadata().name());
  return names;
}

class ContainerEventsTest : public PodFixture {};

TEST_F(ContainerEventsTest, TwoSubscribersSeeAPodAndItsContainerGoThroughTheirLives) {
  EventStream first(*client_);
  EventStream second(*client_);

  const TestPod pod = RunPod("events-life");
  std::vector<v1::ContainerEventResponse> events = first.WaitForEvents(2);
  ASSERT_THAT(Summary(events), ElementsAre("CONTAINER_CREATED_EVENT " + pod.id, "CONTAINER_STARTED_EVENT " + pod.id));
  for (const v1::ContainerEventResponse& event : events) {
    EXPECT_EQ(event.pod_sandbox_status().id(), pod.id);
    EXPECT_EQ(event.pod_sandbox_status().metadata().uid(), "uid-events-life");
    EXPECT_EQ(event.pod_sandbox_status().state(), v1::SANDBOX_READY);
    EXPECT_THAT(event.containers_statuses(), IsEmpty());
    EXPECT_GT(event.created_at(), 0);
  }

  std::string id;
  ASSERT_TRUE(client_->Create(pod.id, ContainerConfig("sleeper", image_, {"sleep", "3600"}), pod.config, &id).ok());
  events = first.WaitForEvents(3);
  EXPECT_EQ(Summary(events)[2], "CONTAINER_CREATED_EVENT " + id);
  EXPECT_THAT(ContainerNames(events[2]), ElementsAre("sleeper"));
  EXPECT_EQ(events[2].containers_statuses(0).id(), id);
  EXPECT_EQ(events[2].containers_statuses(0).state(), v1::CONTAINER_CREATED);
  EXPECT_EQ(events[2].pod_sandbox_status().id(), pod.id);

  ASSERT_TRUE(client_->Start(id).ok());
  events = first.WaitForEvents(4);
  EXPECT_EQ(Summary(events)[3], "CONTAINER_STARTED_EVENT " + id);
  ASSERT_THAT(ContainerNames(events[3]), ElementsAre("sleeper"));
  EXPECT_EQ(events[3].containers_statuses(0).state(), v1::CONTAINER_RUNNING);

  // PodSandboxStatus carries the pod's containers and when it was taken, as containerd's does.
  v1::PodSandboxStatusResponse pod_status;
  ASSERT_TRUE(client_->PodStatus(pod.id, &pod_status).ok());
  ASSERT_EQ(pod_status.containers_statuses_size(), 1);
  EXPECT_EQ(pod_status.containers_statuses(0).id(), id);
  EXPECT_EQ(pod_status.containers_statuses(0).state(), v1::CONTAINER_RUNNING);
  EXPECT_GE(pod_status.timestamp(), events[3].created_at());

  ASSERT_TRUE(client_->Stop(id, 0).ok());
  events = first.WaitForEvents(5);
  EXPECT_EQ(Summary(events)[4], "CONTAINER_STOPPED_EVENT " + id);
  ASSERT_THAT(ContainerNames(events[4]), ElementsAre("sleeper"));
  EXPECT_EQ(events[4].containers_statuses(0).state(), v1::CONTAINER_EXITED);

  ASSERT_TRUE(client_->Remove(id).ok());
  events = first.WaitForEvents(6);
  EXPECT_EQ(Summary(events)[5], "CONTAINER_DELETED_EVENT " + id);
  EXPECT_THAT(events[5].containers_statuses(), IsEmpty());  // built when sent: it is gone
  EXPECT_EQ(events[5].pod_sandbox_status().id(), pod.id);

  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  events = first.WaitForEvents(7);
  EXPECT_EQ(Summary(events)[6], "CONTAINER_STOPPED_EVENT " + pod.id);
  EXPECT_EQ(events[6].pod_sandbox_status().state(), v1::SANDBOX_NOTREADY);

  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  events = first.WaitForEvents(8);
  EXPECT_EQ(Summary(events)[7], "CONTAINER_DELETED_EVENT " + pod.id);
  // The removed pod's last status, so that kubelet can tell which pod went.
  EXPECT_EQ(events[7].pod_sandbox_status().id(), pod.id);
  EXPECT_EQ(events[7].pod_sandbox_status().metadata().uid(), "uid-events-life");
  EXPECT_EQ(events[7].pod_sandbox_status().state(), v1::SANDBOX_NOTREADY);

  for (size_t i = 1; i < events.size(); ++i) EXPECT_GE(events[i].created_at(), events[i - 1].created_at());
  EXPECT_EQ(Summary(second.WaitForEvents(8)), Summary(events));
  EXPECT_EQ(Summary(first.Events()), Summary(events));  // nothing more came
}

TEST_F(ContainerEventsTest, AContainerThatExitsByItselfIsReportedStopped) {
  EventStream stream(*client_);
  const TestPod pod = RunPod("events-exit");
  const std::string id = RunContainer(pod, "quitter", {"sh", "-c", "exit 3"});
  const auto stopped = [&]() -> std::optional<v1::ContainerEventResponse> {
    for (const v1::ContainerEventResponse& event : stream.Events()) {
      if (event.container_id() == id && event.container_event_type() == v1::CONTAINER_STOPPED_EVENT) return event;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(WaitUntil([&] { return stopped().has_value(); })) << ::testing::PrintToString(Summary(stream.Events()));
  ASSERT_THAT(ContainerNames(*stopped()), ElementsAre("quitter"));
  EXPECT_EQ(stopped()->containers_statuses(0).state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped()->containers_statuses(0).exit_code(), 3);
  EXPECT_EQ(stopped()->pod_sandbox_status().id(), pod.id);
}

// A container whose command ends at once often exits before StartContainer has answered (its exit
// recorded first); each start is published all the same, before the exit.
TEST_F(ContainerEventsTest, EveryStartIsPublishedBeforeTheExitOfAContainerThatEndsAtOnce) {
  EventStream stream(*client_);
  const TestPod pod = RunPod("events-quick");
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(RunContainer(pod, "quick-" + std::to_string(i), {"/bin/busybox", "true"}));
  const auto types_of = [&](const std::string& id) {
    std::vector<std::string> types;
    for (const v1::ContainerEventResponse& event : stream.Events()) {
      if (event.container_id() == id) types.push_back(v1::ContainerEventType_Name(event.container_event_type()));
    }
    return types;
  };
  ASSERT_TRUE(WaitUntil([&] {
    return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
      return absl::c_linear_search(types_of(id), "CONTAINER_STOPPED_EVENT");
    });
  })) << ::testing::PrintToString(Summary(stream.Events()));
  for (const std::string& id : ids) {
    EXPECT_THAT(types_of(id),
                ElementsAre("CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT", "CONTAINER_STOPPED_EVENT"))
        << id;
  }
}

TEST_F(ContainerEventsTest, ACancelledStreamLetsGoOfItsSubscription) {
  auto cancelled = std::make_unique<EventStream>(*client_);
  EventStream kept(*client_);
  cancelled->Cancel();
  const std::optional<grpc::Status> ended = cancelled->WaitForEnd();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::CANCELLED);
  cancelled.reset();
  // cloisond notices the client went away and ends the call, dropping its subscription.
  EXPECT_TRUE(WaitUntil([&] { return daemon_.Log().find("its subscription ends") != std::string::npos; }))
      << daemon_.Log();
  // The stream still open goes on.
  const TestPod pod = RunPod("events-cancel");
  EXPECT_THAT(Summary(kept.WaitForEvents(2)),
              ElementsAre("CONTAINER_CREATED_EVENT " + pod.id, "CONTAINER_STARTED_EVENT " + pod.id));
}

// A drain far longer than the wait below: a shutdown held by the open stream would not end in time.
class ContainerEventsShutdownTest : public PodFixture {
 protected:
  ContainerEventsShutdownTest() : PodFixture("shutdown_timeout = 600\n") {}
};

TEST_F(ContainerEventsShutdownTest, ShutdownEndsAnOpenStreamCleanly) {
  EventStream stream(*client_);
  ASSERT_EQ(kill(daemon_.pid(), SIGTERM), 0);
  const std::optional<grpc::Status> ended = stream.WaitForEnd(std::chrono::seconds(120));
  ASSERT_TRUE(ended.has_value()) << "the stream is still open 120 s after SIGTERM\n" << daemon_.Log();
  EXPECT_TRUE(ended->ok()) << ended->error_message();
  const ExitResult exited = daemon_.Exited(std::chrono::seconds(120));
  ASSERT_TRUE(exited.exited) << daemon_.Log();
  EXPECT_EQ(exited.code, 0);
}

}  // namespace
}  // namespace cloison::testing
