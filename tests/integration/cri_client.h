// Small wrappers over the generated CRI client for integration tests: build pod and container
// configs, and make the calls kubelet makes with one line each.
#pragma once

#include <string>
#include <vector>

#include "cloisond_process.h"

namespace cloison::testing {

namespace v1 = ::runtime::v1;

inline v1::PodSandboxConfig PodConfig(const std::string& name, const std::string& log_dir,
                                      v1::NamespaceMode pid_mode = v1::NamespaceMode::CONTAINER) {
  v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_("default");
  config.mutable_metadata()->set_uid("uid-" + name);
  config.set_hostname(name);
  config.set_log_directory(log_dir);
  (*config.mutable_labels())["app"] = name;
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(pid_mode);
  return config;
}

inline v1::ContainerConfig ContainerConfig(const std::string& name, const std::string& image,
                                           const std::vector<std::string>& command) {
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_image()->set_image(image);
  for (const std::string& arg : command) config.add_command(arg);
  config.set_log_path(name + ".log");
  (*config.mutable_labels())["container"] = name;
  return config;
}

class CriClient {
 public:
  explicit CriClient(const CloisondProcess& daemon) : runtime_(daemon.Runtime()), images_(daemon.Images()) {}

  grpc::Status RunPod(const v1::PodSandboxConfig& config, std::string* id, const std::string& handler = "") {
    grpc::ClientContext context;
    v1::RunPodSandboxRequest request;
    *request.mutable_config() = config;
    request.set_runtime_handler(handler);
    v1::RunPodSandboxResponse response;
    grpc::Status status = runtime_->RunPodSandbox(&context, request, &response);
    *id = response.pod_sandbox_id();
    return status;
  }
  grpc::Status StopPod(const std::string& id) {
    grpc::ClientContext context;
    v1::StopPodSandboxRequest request;
    request.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse response;
    return runtime_->StopPodSandbox(&context, request, &response);
  }
  grpc::Status RemovePod(const std::string& id) {
    grpc::ClientContext context;
    v1::RemovePodSandboxRequest request;
    request.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse response;
    return runtime_->RemovePodSandbox(&context, request, &response);
  }
  grpc::Status PodStatus(const std::string& id, v1::PodSandboxStatusResponse* response, bool verbose = false) {
    grpc::ClientContext context;
    v1::PodSandboxStatusRequest request;
    request.set_pod_sandbox_id(id);
    request.set_verbose(verbose);
    return runtime_->PodSandboxStatus(&context, request, response);
  }
  std::vector<v1::PodSandbox> ListPods(const v1::PodSandboxFilter& filter = {}) {
    grpc::ClientContext context;
    v1::ListPodSandboxRequest request;
    *request.mutable_filter() = filter;
    v1::ListPodSandboxResponse response;
    EXPECT_TRUE(runtime_->ListPodSandbox(&context, request, &response).ok());
    return {response.items().begin(), response.items().end()};
  }
  grpc::Status Pull(const std::string& image) {
    grpc::ClientContext context;
    v1::PullImageRequest request;
    request.mutable_image()->set_image(image);
    v1::PullImageResponse response;
    return images_->PullImage(&context, request, &response);
  }
  grpc::Status RemoveImage(const std::string& image) {
    grpc::ClientContext context;
    v1::RemoveImageRequest request;
    request.mutable_image()->set_image(image);
    v1::RemoveImageResponse response;
    return images_->RemoveImage(&context, request, &response);
  }
  grpc::Status Create(const std::string& pod_id, const v1::ContainerConfig& config,
                      const v1::PodSandboxConfig& pod_config, std::string* id) {
    grpc::ClientContext context;
    v1::CreateContainerRequest request;
    request.set_pod_sandbox_id(pod_id);
    *request.mutable_config() = config;
    *request.mutable_sandbox_config() = pod_config;
    v1::CreateContainerResponse response;
    grpc::Status status = runtime_->CreateContainer(&context, request, &response);
    *id = response.container_id();
    return status;
  }
  grpc::Status Start(const std::string& id) {
    grpc::ClientContext context;
    v1::StartContainerRequest request;
    request.set_container_id(id);
    v1::StartContainerResponse response;
    return runtime_->StartContainer(&context, request, &response);
  }
  grpc::Status Stop(const std::string& id, int64_t timeout) {
    grpc::ClientContext context;
    v1::StopContainerRequest request;
    request.set_container_id(id);
    request.set_timeout(timeout);
    v1::StopContainerResponse response;
    return runtime_->StopContainer(&context, request, &response);
  }
  grpc::Status Remove(const std::string& id) {
    grpc::ClientContext context;
    v1::RemoveContainerRequest request;
    request.set_container_id(id);
    v1::RemoveContainerResponse response;
    return runtime_->RemoveContainer(&context, request, &response);
  }
  grpc::Status Status(const std::string& id, v1::ContainerStatusResponse* response, bool verbose = false) {
    grpc::ClientContext context;
    v1::ContainerStatusRequest request;
    request.set_container_id(id);
    request.set_verbose(verbose);
    return runtime_->ContainerStatus(&context, request, response);
  }
  v1::ContainerStatus StatusOf(const std::string& id) {
    v1::ContainerStatusResponse response;
    const grpc::Status status = Status(id, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }
  std::vector<v1::Container> List(const v1::ContainerFilter& filter = {}) {
    grpc::ClientContext context;
    v1::ListContainersRequest request;
    *request.mutable_filter() = filter;
    v1::ListContainersResponse response;
    EXPECT_TRUE(runtime_->ListContainers(&context, request, &response).ok());
    return {response.containers().begin(), response.containers().end()};
  }
  grpc::Status Exec(const std::string& id, const std::vector<std::string>& cmd, int64_t timeout,
                    v1::ExecSyncResponse* response) {
    grpc::ClientContext context;
    v1::ExecSyncRequest request;
    request.set_container_id(id);
    for (const std::string& arg : cmd) request.add_cmd(arg);
    request.set_timeout(timeout);
    return runtime_->ExecSync(&context, request, response);
  }
  grpc::Status ReopenLog(const std::string& id) {
    grpc::ClientContext context;
    v1::ReopenContainerLogRequest request;
    request.set_container_id(id);
    v1::ReopenContainerLogResponse response;
    return runtime_->ReopenContainerLog(&context, request, &response);
  }
  // Polls ContainerStatus until the container exits or `timeout` passes.
  v1::ContainerStatus WaitExited(const std::string& id, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    v1::ContainerStatus status;
    do {
      status = StatusOf(id);
      if (status.state() == v1::CONTAINER_EXITED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return status;
  }
  grpc::Status UpdateResources(const std::string& id, const v1::LinuxContainerResources& resources) {
    grpc::ClientContext context;
    v1::UpdateContainerResourcesRequest request;
    request.set_container_id(id);
    *request.mutable_linux() = resources;
    v1::UpdateContainerResourcesResponse response;
    return runtime_->UpdateContainerResources(&context, request, &response);
  }
  grpc::Status Stats(const std::string& id, v1::ContainerStats* stats) {
    grpc::ClientContext context;
    v1::ContainerStatsRequest request;
    request.set_container_id(id);
    v1::ContainerStatsResponse response;
    grpc::Status status = runtime_->ContainerStats(&context, request, &response);
    *stats = response.stats();
    return status;
  }
  std::vector<v1::ContainerStats> ListStats(const v1::ContainerStatsFilter& filter = {}) {
    grpc::ClientContext context;
    v1::ListContainerStatsRequest request;
    *request.mutable_filter() = filter;
    v1::ListContainerStatsResponse response;
    (void)runtime_->ListContainerStats(&context, request, &response);
    return {response.stats().begin(), response.stats().end()};
  }
  grpc::Status PodStats(const std::string& id, v1::PodSandboxStats* stats) {
    grpc::ClientContext context;
    v1::PodSandboxStatsRequest request;
    request.set_pod_sandbox_id(id);
    v1::PodSandboxStatsResponse response;
    grpc::Status status = runtime_->PodSandboxStats(&context, request, &response);
    *stats = response.stats();
    return status;
  }
  std::vector<v1::PodSandboxStats> ListPodStats(const v1::PodSandboxStatsFilter& filter = {}) {
    grpc::ClientContext context;
    v1::ListPodSandboxStatsRequest request;
    *request.mutable_filter() = filter;
    v1::ListPodSandboxStatsResponse response;
    (void)runtime_->ListPodSandboxStats(&context, request, &response);
    return {response.stats().begin(), response.stats().end()};
  }
  // GetContainerEvents: the open stream, already subscribed on return (cloisond sends its
  // initial metadata once it is) unless the call failed (Finish() tells). `context` outlives
  // the stream; context->TryCancel() ends it.
  std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> Events(grpc::ClientContext* context) {
    std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader =
        runtime_->GetContainerEvents(context, v1::GetEventsRequest());
    reader->WaitForInitialMetadata();
    return reader;
  }
  grpc::Status RuntimeStatus(v1::StatusResponse* response) {
    grpc::ClientContext context;
    return runtime_->Status(&context, v1::StatusRequest(), response);
  }
  grpc::Status UpdatePodResources(const std::string& id, const v1::LinuxContainerResources& overhead,
                                  const v1::LinuxContainerResources& resources) {
    grpc::ClientContext context;
    v1::UpdatePodSandboxResourcesRequest request;
    request.set_pod_sandbox_id(id);
    *request.mutable_overhead() = overhead;
    *request.mutable_resources() = resources;
    v1::UpdatePodSandboxResourcesResponse response;
    return runtime_->UpdatePodSandboxResources(&context, request, &response);
  }
  std::vector<v1::MetricDescriptor> MetricDescriptors() {
    grpc::ClientContext context;
    v1::ListMetricDescriptorsResponse response;
    EXPECT_TRUE(runtime_->ListMetricDescriptors(&context, v1::ListMetricDescriptorsRequest(), &response).ok());
    return {response.descriptors().begin(), response.descriptors().end()};
  }
  std::vector<v1::PodSandboxMetrics> PodMetrics() {
    grpc::ClientContext context;
    v1::ListPodSandboxMetricsResponse response;
    EXPECT_TRUE(runtime_->ListPodSandboxMetrics(&context, v1::ListPodSandboxMetricsRequest(), &response).ok());
    return {response.pod_metrics().begin(), response.pod_metrics().end()};
  }

 private:
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

}  // namespace cloison::testing
