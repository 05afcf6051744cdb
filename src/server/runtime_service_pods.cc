// RuntimeService: the pod sandbox RPCs.
#include "absl/strings/str_cat.h"
#include "cloison/server/cri_list_wire.h"
#include "cloison/server/cri_views.h"
#include "cloison/server/grpc_status.h"
#include "cloison/server/runtime_service.h"
#include "cloison/util/ids.h"
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
  // As containerd answers (kubelet's Evented PLEG reads them): the pod's containers and when.
  AddContainerStatuses(record->id, *response->mutable_containers_statuses());
  response->set_timestamp(util::NowNanos());
  if (request->verbose()) {
    nlohmann::json info = sandbox::SandboxRecordToJson(*record);
    // CNI CHECK on demand only (crictl inspectp): kubelet never asks for verbose status, and
    // neither containerd nor CRI-O runs CHECK on its own.
    const absl::Status check = sandboxes_.CheckNetwork(record->id);
    info["cniCheck"] = check.ok() ? std::string("ok") : check.ToString();
    (*response->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::UpdatePodSandboxResources(grpc::ServerContext*,
                                                       const v1::UpdatePodSandboxResourcesRequest* request,
                                                       v1::UpdatePodSandboxResourcesResponse*) {
  if (request->pod_sandbox_id().empty()) return ToGrpcStatus(absl::InvalidArgumentError("pod_sandbox_id is empty"));
  return ToGrpcStatus(sandboxes_.UpdateResources(request->pod_sandbox_id(), request->overhead(), request->resources()));
}

grpc::Status RuntimeService::ListPodSandbox(grpc::ServerContext*, const v1::ListPodSandboxRequest* request,
                                            v1::ListPodSandboxResponse* response) {
  sandboxes_.ForEach([&](const sandbox::SandboxRecord& record) {
    if (MatchesFilter(record, request->filter())) FillPodSandbox(record, *response->add_items());
  });
  return grpc::Status::OK;
}

grpc::Status RuntimeService::ListPodSandboxWireAnswer(const v1::ListPodSandboxRequest& request, std::string& wire) {
  wire = ListPodSandboxWire(pod_items_, request.filter(), [&](SandboxVisitor visit) { sandboxes_.ForEach(visit); });
  return grpc::Status::OK;
}

grpc::Status RuntimeService::UpdateRuntimeConfig(grpc::ServerContext*, const v1::UpdateRuntimeConfigRequest* request,
                                                 v1::UpdateRuntimeConfigResponse*) {
  // Kept for the CNI ipRanges capability of the pods created from now on.
  absl::Status status = sandboxes_.SetPodCidr(request->runtime_config().network_config().pod_cidr());
  if (absl::IsInvalidArgument(status)) {
    status = absl::InvalidArgumentError(absl::StrCat("runtime_config.network_config.", status.message()));
  }
  return ToGrpcStatus(status);
}

}  // namespace cloison::server
