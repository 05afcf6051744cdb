// RuntimeService: the pod sandbox RPCs.
#include "cloison/server/cri_views.h"
#include "cloison/server/grpc_status.h"
#include "cloison/server/runtime_service.h"
#include "nlohmann/json.hpp"

namespace cloison::server {

namespace v1 = ::runtime::v1;

grpc::Status RuntimeService::RunPodSandbox(grpc::ServerContext*, const v1::RunPodSandboxRequest* request,
                                           v1::RunPodSandboxResponse* response) {
  absl::StatusOr<std::string> id = sandboxes_.Run(request->config(), request->runtime_handler());
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_pod_sandbox_id(*id);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::StopPodSandbox(grpc::ServerContext*, const v1::StopPodSandboxRequest* request,
                                            v1::StopPodSandboxResponse*) {
  const absl::Status status = sandboxes_.Stop(request->pod_sandbox_id());
  if (absl::IsNotFound(status)) return grpc::Status::OK;  // kubelet repeats it; a gone pod is stopped
  return ToGrpcStatus(status);
}

grpc::Status RuntimeService::RemovePodSandbox(grpc::ServerContext*, const v1::RemovePodSandboxRequest* request,
                                              v1::RemovePodSandboxResponse*) {
  return ToGrpcStatus(sandboxes_.Remove(request->pod_sandbox_id()));
}

grpc::Status RuntimeService::PodSandboxStatus(grpc::ServerContext*, const v1::PodSandboxStatusRequest* request,
                                              v1::PodSandboxStatusResponse* response) {
  absl::StatusOr<sandbox::SandboxRecord> record = sandboxes_.Get(request->pod_sandbox_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  FillPodSandboxStatus(*record, *response->mutable_status());
  if (request->verbose()) {
    nlohmann::json info = sandbox::SandboxRecordToJson(*record);
    (*response->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListPodSandbox(grpc::ServerContext*, const v1::ListPodSandboxRequest* request,
                                            v1::ListPodSandboxResponse* response) {
  for (const sandbox::SandboxRecord& record : sandboxes_.List()) {
    if (MatchesFilter(record, request->filter())) FillPodSandbox(record, *response->add_items());
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::UpdateRuntimeConfig(grpc::ServerContext*, const v1::UpdateRuntimeConfigRequest*,
                                                 v1::UpdateRuntimeConfigResponse*) {
  // The pod CIDR kubelet sends is for CNI plugins that need it; cloison's CNI configs carry
  // their own ranges (as CRI-O, which ignores it too).
  return grpc::Status::OK;
}

}  // namespace cloison::server
