// RuntimeService: the stats RPCs (ContainerStats, ListContainerStats, PodSandboxStats,
// ListPodSandboxStats) and the metrics RPCs (ListMetricDescriptors, ListPodSandboxMetrics).
// The numbers come from stats::StatsCollector (metrics: stats/cri_metrics.h); the list
// filters are the ListContainers / ListPodSandbox ones.
#include "cloison/server/cri_views.h"
#include "cloison/server/grpc_status.h"
#include "cloison/server/runtime_service.h"
#include "cloison/stats/cri_metrics.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

namespace {

std::vector<container::ContainerRecord> InPod(const std::vector<container::ContainerRecord>& all,
                                              const std::string& pod_id) {
  std::vector<container::ContainerRecord> out;
  for (const container::ContainerRecord& record : all) {
    if (record.pod_id == pod_id && record.state != container::ContainerState::kCreating) out.push_back(record);
  }
  return out;
}

}  // namespace

grpc::Status RuntimeService::ContainerStats(grpc::ServerContext*, const v1::ContainerStatsRequest* request,
                                            v1::ContainerStatsResponse* response) {
  absl::StatusOr<container::ContainerRecord> record = containers_.Get(request->container_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  *response->mutable_stats() =
      stats_.ForContainer(*record, [this](const std::string& id) { return containers_.WritableLayerDir(id); });
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListContainerStats(grpc::ServerContext*, const v1::ListContainerStatsRequest* request,
                                                v1::ListContainerStatsResponse* response) {
  v1::ContainerFilter filter;
  filter.set_id(request->filter().id());
  filter.set_pod_sandbox_id(request->filter().pod_sandbox_id());
  *filter.mutable_label_selector() = request->filter().label_selector();
  for (const container::ContainerRecord& record : containers_.List()) {
    if (!MatchesFilter(record, filter)) continue;
    *response->add_stats() =
        stats_.ForContainer(record, [this](const std::string& id) { return containers_.WritableLayerDir(id); });
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::PodSandboxStats(grpc::ServerContext*, const v1::PodSandboxStatsRequest* request,
                                             v1::PodSandboxStatsResponse* response) {
  absl::StatusOr<sandbox::SandboxRecord> pod = sandboxes_.Get(request->pod_sandbox_id());
  if (!pod.ok()) return ToGrpcStatus(pod.status());
  *response->mutable_stats() = stats_.ForPod(*pod, InPod(containers_.List(), pod->id), [this](const std::string& id) {
    return containers_.WritableLayerDir(id);
  });
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListPodSandboxStats(grpc::ServerContext*, const v1::ListPodSandboxStatsRequest* request,
                                                 v1::ListPodSandboxStatsResponse* response) {
  v1::PodSandboxFilter filter;
  filter.set_id(request->filter().id());
  *filter.mutable_label_selector() = request->filter().label_selector();
  const std::vector<container::ContainerRecord> containers = containers_.List();
  for (const sandbox::SandboxRecord& pod : sandboxes_.List()) {
    if (pod.state == sandbox::SandboxState::kCreating || !MatchesFilter(pod, filter)) continue;
    *response->add_stats() = stats_.ForPod(pod, InPod(containers, pod.id), [this](const std::string& id) {
      return containers_.WritableLayerDir(id);
    });
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListMetricDescriptors(grpc::ServerContext*, const v1::ListMetricDescriptorsRequest*,
                                                   v1::ListMetricDescriptorsResponse* response) {
  for (v1::MetricDescriptor& descriptor : stats::MetricDescriptors()) *response->add_descriptors() = std::move(descriptor);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListPodSandboxMetrics(grpc::ServerContext*, const v1::ListPodSandboxMetricsRequest*,
                                                   v1::ListPodSandboxMetricsResponse* response) {
  const std::vector<container::ContainerRecord> containers = containers_.List();
  for (const sandbox::SandboxRecord& pod : sandboxes_.List()) {
    if (pod.state != sandbox::SandboxState::kReady) continue;
    const v1::PodSandboxStats stats = stats_.ForPod(pod, InPod(containers, pod.id), [this](const std::string& id) {
      return containers_.WritableLayerDir(id);
    });
    *response->add_pod_metrics() = stats::PodMetrics(stats);
  }
  return grpc::Status::OK;
}

}  // namespace cloison::server
