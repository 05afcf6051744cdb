#include "cloison/server/runtime_service.h"

#include "cloison/server/status_report.h"
#include "cloison/server/wire_unary.h"
#include "cloison/util/version.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

namespace {

// A method's index in the generated RuntimeService::Service: its position in api.proto's
// RuntimeService, which the generated code numbers its methods by.
int RuntimeServiceMethod(const std::string& name) {
  return v1::VersionRequest::descriptor()->file()->FindServiceByName("RuntimeService")->FindMethodByName(name)->index();
}

}  // namespace

RuntimeService::RuntimeService(const LiveConfig& live_config, sandbox::SandboxManager& sandboxes,
                               container::ContainerManager& containers, streaming::StreamingServer& streaming)
    : live_config_(live_config), sandboxes_(sandboxes), containers_(containers), streaming_(streaming) {
  MarkMethodStreamed(RuntimeServiceMethod("ListPodSandbox"),
                     NewWireUnaryHandler<v1::ListPodSandboxRequest>(
                         [this](const v1::ListPodSandboxRequest& request, std::string& wire) {
                           return ListPodSandboxWireAnswer(request, wire);
                         }));
  MarkMethodStreamed(RuntimeServiceMethod("ListContainers"),
                     NewWireUnaryHandler<v1::ListContainersRequest>(
                         [this](const v1::ListContainersRequest& request, std::string& wire) {
                           return ListContainersWireAnswer(request, wire);
                         }));
}

// The kubelet-facing API version both CRI-O and containerd report.
constexpr char kKubeletApiVersion[] = "0.1.0";

grpc::Status RuntimeService::Version(grpc::ServerContext*, const v1::VersionRequest*,
                                     v1::VersionResponse* response) {
  response->set_version(kKubeletApiVersion);
  response->set_runtime_name("cloison");
  response->set_runtime_version(std::string(util::Version()));
  response->set_runtime_api_version("v1");
  return grpc::Status::OK;
}

grpc::Status RuntimeService::Status(grpc::ServerContext*, const v1::StatusRequest* request,
                                    v1::StatusResponse* response) {
  FillStatus(live_config_.Get(), request->verbose(), *response);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::RuntimeConfig(grpc::ServerContext*, const v1::RuntimeConfigRequest*,
                                           v1::RuntimeConfigResponse* response) {
  const bool systemd = live_config_.Get().config->cgroup_driver == "systemd";
  response->mutable_linux()->set_cgroup_driver(systemd ? v1::CgroupDriver::SYSTEMD
                                                       : v1::CgroupDriver::CGROUPFS);
  return grpc::Status::OK;
}

}  // namespace cloison::server
