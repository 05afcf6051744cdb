#include "pod_workload.h"

#include <filesystem>

namespace cloison::bench {
namespace {

namespace v1 = ::runtime::v1;

// Times one call; returns its status and stores the milliseconds in *ms (when not null).
template <typename Stub, typename Request, typename Response>
grpc::Status Timed(Client& client, Stub* stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response, double* ms) {
  const Clock::time_point start = Clock::now();
  grpc::Status status = client.Call(stub, method, request, response);
  if (ms != nullptr) *ms = MsSince(start);
  return status;
}

}  // namespace

Pod NewPod(const PodOptions& options, const std::string& name) {
  const std::string uid = "bench-" + options.run_id + "-" + name;
  Pod pod;
  v1::PodSandboxConfig& config = pod.config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_("bench");
  config.mutable_metadata()->set_uid(uid);
  // kubelet's layout: /var/log/pods/<namespace>_<name>_<uid>
  config.set_log_directory(options.log_root + "/bench_" + name + "_" + uid);
  (*config.mutable_labels())["app"] = "cri-bench";
  (*config.mutable_labels())["io.kubernetes.pod.name"] = name;
  (*config.mutable_labels())["io.kubernetes.pod.namespace"] = "bench";
  (*config.mutable_labels())["io.kubernetes.pod.uid"] = uid;
  v1::LinuxPodSandboxConfig* linux = config.mutable_linux();
  if (!options.cgroup_root.empty()) linux->set_cgroup_parent(options.cgroup_root + "/" + uid);
  v1::NamespaceOption* namespaces = linux->mutable_security_context()->mutable_namespace_options();
  namespaces->set_network(v1::NamespaceMode::NODE);
  namespaces->set_pid(v1::NamespaceMode::CONTAINER);
  std::error_code ec;
  std::filesystem::create_directories(config.log_directory(), ec);
  return pod;
}

bool RunPod(Client& client, const PodOptions& options, Pod& pod, double* ms) {
  v1::RunPodSandboxRequest request;
  *request.mutable_config() = pod.config;
  request.set_runtime_handler(options.handler);
  v1::RunPodSandboxResponse response;
  const grpc::Status status =
      Timed(client, client.runtime(), &v1::RuntimeService::Stub::RunPodSandbox, request, &response, ms);
  if (!status.ok()) return Failed("RunPodSandbox " + pod.config.metadata().name(), status);
  pod.pod_id = response.pod_sandbox_id();
  return true;
}

bool CreateSleeper(Client& client, const PodOptions& options, Pod& pod, const std::string& name, double* ms) {
  v1::CreateContainerRequest request;
  request.set_pod_sandbox_id(pod.pod_id);
  *request.mutable_sandbox_config() = pod.config;
  v1::ContainerConfig* config = request.mutable_config();
  config->mutable_metadata()->set_name(name);
  config->mutable_image()->set_image(options.image);
  config->add_command("sleep");
  config->add_args("3600");
  config->set_log_path(name + ".log");
  (*config->mutable_labels())["io.kubernetes.container.name"] = name;
  v1::CreateContainerResponse response;
  const grpc::Status status =
      Timed(client, client.runtime(), &v1::RuntimeService::Stub::CreateContainer, request, &response, ms);
  if (!status.ok()) return Failed("CreateContainer " + pod.config.metadata().name() + "/" + name, status);
  pod.container_ids.push_back(response.container_id());
  return true;
}

bool StartContainer(Client& client, const std::string& container_id, double* ms) {
  v1::StartContainerRequest request;
  request.set_container_id(container_id);
  v1::StartContainerResponse response;
  const grpc::Status status =
      Timed(client, client.runtime(), &v1::RuntimeService::Stub::StartContainer, request, &response, ms);
  return status.ok() || Failed("StartContainer " + container_id, status);
}

bool StartPod(Client& client, const PodOptions& options, Pod& pod, PodStartTimes* times) {
  return RunPod(client, options, pod, &times->run_pod_ms) &&
         CreateSleeper(client, options, pod, "sleep", &times->create_ms) &&
         StartContainer(client, pod.container_ids.back(), &times->start_ms);
}

bool TearDown(Client& client, const Pod& pod) {
  bool ok = true;
  for (const std::string& id : pod.container_ids) {
    v1::StopContainerRequest stop;
    stop.set_container_id(id);
    stop.set_timeout(0);
    v1::StopContainerResponse stopped;
    grpc::Status status = client.Call(client.runtime(), &v1::RuntimeService::Stub::StopContainer, stop, &stopped);
    if (!status.ok()) ok = Failed("StopContainer " + id, status);
    v1::RemoveContainerRequest remove;
    remove.set_container_id(id);
    v1::RemoveContainerResponse removed;
    status = client.Call(client.runtime(), &v1::RuntimeService::Stub::RemoveContainer, remove, &removed);
    if (!status.ok()) ok = Failed("RemoveContainer " + id, status);
  }
  if (pod.pod_id.empty()) return ok;
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod.pod_id);
  v1::StopPodSandboxResponse stopped;
  grpc::Status status = client.Call(client.runtime(), &v1::RuntimeService::Stub::StopPodSandbox, stop, &stopped);
  if (!status.ok()) ok = Failed("StopPodSandbox " + pod.pod_id, status);
  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(pod.pod_id);
  v1::RemovePodSandboxResponse removed;
  status = client.Call(client.runtime(), &v1::RuntimeService::Stub::RemovePodSandbox, remove, &removed);
  if (!status.ok()) ok = Failed("RemovePodSandbox " + pod.pod_id, status);
  return ok;
}

}  // namespace cloison::bench
