// RuntimeService: the Stream* list RPCs (KEP-5825). Each one answers through its List* RPC,
// same filter and same results, and sends them in chunks (server/stream_chunks.h).
#include "cloison/server/runtime_service.h"
#include "cloison/server/stream_chunks.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

grpc::Status RuntimeService::StreamPodSandboxes(grpc::ServerContext* context,
                                                const v1::StreamPodSandboxesRequest* request,
                                                grpc::ServerWriter<v1::StreamPodSandboxesResponse>* writer) {
  v1::ListPodSandboxRequest list_request;
  *list_request.mutable_filter() = request->filter();
  v1::ListPodSandboxResponse list;
  if (grpc::Status status = ListPodSandbox(context, &list_request, &list); !status.ok()) return status;
  return WriteInChunks(*context, *list.mutable_items(), *writer,
                       [](v1::StreamPodSandboxesResponse& chunk) { return chunk.mutable_pod_sandboxes(); });
}

grpc::Status RuntimeService::StreamContainers(grpc::ServerContext* context, const v1::StreamContainersRequest* request,
                                              grpc::ServerWriter<v1::StreamContainersResponse>* writer) {
  v1::ListContainersRequest list_request;
  *list_request.mutable_filter() = request->filter();
  v1::ListContainersResponse list;
  if (grpc::Status status = ListContainers(context, &list_request, &list); !status.ok()) return status;
  return WriteInChunks(*context, *list.mutable_containers(), *writer,
                       [](v1::StreamContainersResponse& chunk) { return chunk.mutable_containers(); });
}

grpc::Status RuntimeService::StreamContainerStats(grpc::ServerContext* context,
                                                  const v1::StreamContainerStatsRequest* request,
                                                  grpc::ServerWriter<v1::StreamContainerStatsResponse>* writer) {
  v1::ListContainerStatsRequest list_request;
  *list_request.mutable_filter() = request->filter();
  v1::ListContainerStatsResponse list;
  if (grpc::Status status = ListContainerStats(context, &list_request, &list); !status.ok()) return status;
  return WriteInChunks(*context, *list.mutable_stats(), *writer,
                       [](v1::StreamContainerStatsResponse& chunk) { return chunk.mutable_container_stats(); });
}

grpc::Status RuntimeService::StreamPodSandboxStats(grpc::ServerContext* context,
                                                   const v1::StreamPodSandboxStatsRequest* request,
                                                   grpc::ServerWriter<v1::StreamPodSandboxStatsResponse>* writer) {
  v1::ListPodSandboxStatsRequest list_request;
  *list_request.mutable_filter() = request->filter();
  v1::ListPodSandboxStatsResponse list;
  if (grpc::Status status = ListPodSandboxStats(context, &list_request, &list); !status.ok()) return status;
  return WriteInChunks(*context, *list.mutable_stats(), *writer,
                       [](v1::StreamPodSandboxStatsResponse& chunk) { return chunk.mutable_pod_sandbox_stats(); });
}

grpc::Status RuntimeService::StreamPodSandboxMetrics(grpc::ServerContext* context,
                                                     const v1::StreamPodSandboxMetricsRequest*,
                                                     grpc::ServerWriter<v1::StreamPodSandboxMetricsResponse>* writer) {
  const v1::ListPodSandboxMetricsRequest list_request;
  v1::ListPodSandboxMetricsResponse list;
  if (grpc::Status status = ListPodSandboxMetrics(context, &list_request, &list); !status.ok()) return status;
  return WriteInChunks(*context, *list.mutable_pod_metrics(), *writer,
                       [](v1::StreamPodSandboxMetricsResponse& chunk) { return chunk.mutable_pod_sandbox_metrics(); });
}

}  // namespace cloison::server
