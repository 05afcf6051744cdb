// RuntimeService: the container RPCs.
#include "cloison/server/cri_list_wire.h"
#include "cloison/server/cri_views.h"
#include "cloison/server/grpc_status.h"
#include "cloison/server/runtime_service.h"
#include "cloison/util/atomic_file.h"
#include "nlohmann/json.hpp"

namespace cloison::server {

namespace v1 = ::runtime::v1;

grpc::Status RuntimeService::CreateContainer(grpc::ServerContext*, const v1::CreateContainerRequest* request,
                                             v1::CreateContainerResponse* response) {
  const ConfigSnapshot snapshot = live_config_.Get();
  absl::StatusOr<std::string> id = containers_.Create(request->pod_sandbox_id(), request->config(),
                                                      request->sandbox_config(), snapshot.config->cdi);
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_container_id(*id);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::StartContainer(grpc::ServerContext*, const v1::StartContainerRequest* request,
                                            v1::StartContainerResponse*) {
  return ToGrpcStatus(containers_.Start(request->container_id()));
}

grpc::Status RuntimeService::StopContainer(grpc::ServerContext*, const v1::StopContainerRequest* request,
                                           v1::StopContainerResponse*) {
  if (request->timeout() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout must not be negative");
  }
  return ToGrpcStatus(containers_.Stop(request->container_id(), std::chrono::seconds(request->timeout())));
}

grpc::Status RuntimeService::RemoveContainer(grpc::ServerContext*, const v1::RemoveContainerRequest* request,
                                             v1::RemoveContainerResponse*) {
  return ToGrpcStatus(containers_.Remove(request->container_id()));
}

grpc::Status RuntimeService::ListContainers(grpc::ServerContext*, const v1::ListContainersRequest* request,
                                            v1::ListContainersResponse* response) {
  containers_.ForEach([&](const container::ContainerRecord& record) {
    if (MatchesFilter(record, request->filter())) FillContainer(record, *response->add_containers());
  });
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListContainersWireAnswer(const v1::ListContainersRequest& request, std::string& wire) {
  wire = ListContainersWire(container_items_, request.filter(),
                            [&](ContainerVisitor visit) { containers_.ForEach(visit); });
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ContainerStatus(grpc::ServerContext*, const v1::ContainerStatusRequest* request,
                                             v1::ContainerStatusResponse* response) {
  nlohmann::json info;
  std::string state_dir;
  const absl::Status found = containers_.Visit(request->container_id(), [&](const container::ContainerRecord& record) {
    FillContainerStatus(record, *response->mutable_status());
    if (!request->verbose()) return;
    info = {{"pid", record.pid},
            {"monitorPid", record.monitor_pid},
            {"sandboxId", record.pod_id},
            {"runtimeHandler", record.handler}};
    state_dir = record.state_dir;
  });
  if (!found.ok()) return ToGrpcStatus(found);
  if (request->verbose()) {
    absl::StatusOr<std::string> spec = util::ReadFile(state_dir + "/config.json");
    if (spec.ok()) info["runtimeSpec"] = nlohmann::json::parse(*spec, nullptr, false);
    (*response->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ExecSync(grpc::ServerContext*, const v1::ExecSyncRequest* request,
                                      v1::ExecSyncResponse* response) {
  if (request->timeout() < 0) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout must not be negative");
  absl::StatusOr<runtime::ExecResult> result = containers_.ExecSync(
      request->container_id(), {request->cmd().begin(), request->cmd().end()}, std::chrono::seconds(request->timeout()));
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_stdout(result->stdout_bytes);
  response->set_stderr(result->stderr_bytes);
  response->set_exit_code(result->exit_code);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::UpdateContainerResources(grpc::ServerContext*,
                                                      const v1::UpdateContainerResourcesRequest* request,
                                                      v1::UpdateContainerResourcesResponse*) {
  if (!request->has_linux()) return grpc::Status::OK;  // only Windows resources: nothing to do here
  return ToGrpcStatus(containers_.UpdateResources(request->container_id(), request->linux()));
}

grpc::Status RuntimeService::ReopenContainerLog(grpc::ServerContext*, const v1::ReopenContainerLogRequest* request,
                                                v1::ReopenContainerLogResponse*) {
  return ToGrpcStatus(containers_.ReopenLog(request->container_id()));
}

}  // namespace cloison::server
