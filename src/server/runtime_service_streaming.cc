// RuntimeService: Exec, Attach and PortForward, which validate the request and answer with a
// one-time URL on the streaming server.
#include "cloison/server/grpc_status.h"
#include "cloison/server/runtime_service.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

namespace {

grpc::Status Invalid(const std::string& message) { return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message); }

// The stdio flags every remote command must satisfy, as Kubernetes' streaming server checks them.
grpc::Status CheckStdio(bool tty, bool in, bool out, bool err) {
  if (!in && !out && !err) return Invalid("one of stdin, stdout and stderr must be set");
  if (tty && err) return Invalid("tty and stderr cannot both be set (a terminal merges stderr into stdout)");
  return grpc::Status::OK;
}

}  // namespace

absl::StatusOr<container::ContainerRecord> RuntimeService::RunningContainer(const std::string& id) const {
  if (id.empty()) return absl::InvalidArgumentError("container_id is empty");
  absl::StatusOr<container::ContainerRecord> record = containers_.Get(id);
  if (!record.ok()) return record.status();
  if (record->state != container::ContainerState::kRunning) {
    return absl::FailedPreconditionError("container " + record->id + " is not running");
  }
  return record;
}

grpc::Status RuntimeService::Exec(grpc::ServerContext*, const v1::ExecRequest* request, v1::ExecResponse* response) {
  if (request->cmd().empty()) return Invalid("cmd is empty");
  if (grpc::Status s = CheckStdio(request->tty(), request->stdin(), request->stdout(), request->stderr()); !s.ok()) {
    return s;
  }
  absl::StatusOr<container::ContainerRecord> record = RunningContainer(request->container_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  absl::StatusOr<std::string> url = streaming_.Url(streaming::ExecRequest{
      record->id, {request->cmd().begin(), request->cmd().end()}, request->tty(), request->stdin(), request->stdout(),
      request->stderr()});
  if (!url.ok()) return ToGrpcStatus(url.status());
  response->set_url(*url);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::Attach(grpc::ServerContext*, const v1::AttachRequest* request,
                                    v1::AttachResponse* response) {
  if (grpc::Status s = CheckStdio(request->tty(), request->stdin(), request->stdout(), request->stderr()); !s.ok()) {
    return s;
  }
  absl::StatusOr<container::ContainerRecord> record = RunningContainer(request->container_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  absl::StatusOr<std::string> url = streaming_.Url(
      streaming::AttachRequest{record->id, request->tty(), request->stdin(), request->stdout(), request->stderr()});
  if (!url.ok()) return ToGrpcStatus(url.status());
  response->set_url(*url);
  return grpc::Status::OK;
}

grpc::Status RuntimeService::PortForward(grpc::ServerContext*, const v1::PortForwardRequest* request,
                                         v1::PortForwardResponse* response) {
  if (request->pod_sandbox_id().empty()) return Invalid("pod_sandbox_id is empty");
  for (int32_t port : request->port()) {
    if (port <= 0 || port > 65535) return Invalid("port " + std::to_string(port) + " is not between 1 and 65535");
  }
  absl::StatusOr<sandbox::SandboxRecord> pod = sandboxes_.Get(request->pod_sandbox_id());
  if (!pod.ok()) return ToGrpcStatus(pod.status());
  if (pod->state != sandbox::SandboxState::kReady) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "pod sandbox " + pod->id + " is not ready");
  }
  const std::vector<uint16_t> ports(request->port().begin(), request->port().end());
  absl::StatusOr<std::string> url = streaming_.Url(streaming::PortForwardRequest{pod->id, ports});
  if (!url.ok()) return ToGrpcStatus(url.status());
  response->set_url(*url);
  return grpc::Status::OK;
}

}  // namespace cloison::server
