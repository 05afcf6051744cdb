// RuntimeService: GetContainerEvents, the lifecycle events of pods and containers as the
// managers publish them (sandbox/pod_event_hub.h), and the container statuses PodSandboxStatus
// shares with it. The managers publish only what happened (type, ids, time); the statuses
// each event carries are built from the records when the event is sent, so they are those of
// that moment: the same as or newer than the event (a CREATED event sent after the container
// already started shows it running; a container's DELETED event no longer lists it). A pod's
// DELETED event carries the pod's last record, since the live one is gone.
#include "cloison/server/cri_views.h"
#include "cloison/server/runtime_service.h"
#include "cloison/util/logging.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

namespace {

// How often a stream with no event to send checks whether its client has gone.
constexpr absl::Duration kCancelCheck = absl::Milliseconds(200);

v1::ContainerEventType CriEventType(sandbox::PodEventType type) {
  switch (type) {
    case sandbox::PodEventType::kCreated:
      return v1::CONTAINER_CREATED_EVENT;
    case sandbox::PodEventType::kStarted:
      return v1::CONTAINER_STARTED_EVENT;
    case sandbox::PodEventType::kStopped:
      return v1::CONTAINER_STOPPED_EVENT;
    case sandbox::PodEventType::kDeleted:
      return v1::CONTAINER_DELETED_EVENT;
  }
  return v1::CONTAINER_CREATED_EVENT;
}

}  // namespace

void RuntimeService::AddContainerStatuses(const std::string& pod_id,
                                          google::protobuf::RepeatedPtrField<v1::ContainerStatus>& out) const {
  containers_.ForEach([&](const container::ContainerRecord& record) {
    if (record.pod_id == pod_id) FillContainerStatus(record, *out.Add());
  });
}

v1::ContainerEventResponse RuntimeService::EventResponse(const sandbox::PodEvent& event) const {
  v1::ContainerEventResponse response;
  response.set_container_id(event.container_id);
  response.set_container_event_type(CriEventType(event.type));
  response.set_created_at(event.created_at_ns);
  if (event.removed_pod) {
    FillPodSandboxStatus(*event.removed_pod, *response.mutable_pod_sandbox_status());
  } else if (absl::StatusOr<sandbox::SandboxRecord> pod = sandboxes_.Get(event.pod_id); pod.ok()) {
    FillPodSandboxStatus(*pod, *response.mutable_pod_sandbox_status());
  }
  AddContainerStatuses(event.pod_id, *response.mutable_containers_statuses());
  return response;
}

grpc::Status RuntimeService::GetContainerEvents(grpc::ServerContext* context, const v1::GetEventsRequest*,
                                                grpc::ServerWriter<v1::ContainerEventResponse>* writer) {
  using Next = sandbox::PodEventHub::Subscription::Next;
  const std::unique_ptr<sandbox::PodEventHub::Subscription> subscription = sandboxes_.Events().Subscribe();
  // Headers go out once subscribed: a client that waits for them misses no later event.
  writer->SendInitialMetadata();
  spdlog::debug("GetContainerEvents: a subscriber joined");
  sandbox::PodEvent event;
  while (!context->IsCancelled()) {
    switch (subscription->Wait(kCancelCheck, event)) {
      case Next::kTimedOut:
        continue;
      case Next::kClosed:
        spdlog::debug("GetContainerEvents: cloisond is shutting down; the stream ends");
        return grpc::Status::OK;
      case Next::kDropped:
        spdlog::warn("GetContainerEvents: a subscriber fell {} events behind and was dropped",
                     sandbox::PodEventHub::kDefaultQueueBound);
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "GetContainerEvents: this stream fell too far behind (" +
                                std::to_string(sandbox::PodEventHub::kDefaultQueueBound) +
                                " events unread) and was dropped; subscribe again");
      case Next::kEvent:
        break;
    }
    if (!writer->Write(EventResponse(event))) break;  // the client went away
  }
  spdlog::debug("GetContainerEvents: the client went away; its subscription ends");
  return grpc::Status::OK;
}

}  // namespace cloison::server
