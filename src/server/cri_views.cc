#include "cloison/server/cri_views.h"

#include "absl/strings/match.h"
#include "cloison/util/label_selector.h"

namespace cloison::server {
namespace {

namespace v1 = ::runtime::v1;

v1::PodSandboxState PodState(const sandbox::SandboxRecord& record) {
  return record.state == sandbox::SandboxState::kReady ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY;
}

v1::ContainerState CriState(container::ContainerState state) {
  switch (state) {
    case container::ContainerState::kCreated:
      return v1::CONTAINER_CREATED;
    case container::ContainerState::kRunning:
      return v1::CONTAINER_RUNNING;
    case container::ContainerState::kExited:
      return v1::CONTAINER_EXITED;
    case container::ContainerState::kCreating:
      return v1::CONTAINER_UNKNOWN;
  }
  return v1::CONTAINER_UNKNOWN;
}

// The image as shown (container_record.h) and, as kubelet sent it, the image the pod spec names.
void FillImageSpec(const container::ContainerRecord& record, v1::ImageSpec& out) {
  out.set_image(record.image_name);
  out.set_user_specified_image(record.config.image().user_specified_image());
}

// Filters take a full id or a prefix of one, as crictl passes what the user typed.
bool IdMatches(const std::string& id, const std::string& wanted) { return wanted.empty() || absl::StartsWith(id, wanted); }

}  // namespace

void FillPodSandbox(const sandbox::SandboxRecord& record, v1::PodSandbox& out) {
  out.set_id(record.id);
  *out.mutable_metadata() = record.config.metadata();
  out.set_state(PodState(record));
  out.set_created_at(record.created_at_ns);
  *out.mutable_labels() = record.config.labels();
  *out.mutable_annotations() = record.config.annotations();
  out.set_runtime_handler(record.runtime_handler);
}

void FillPodSandboxStatus(const sandbox::SandboxRecord& record, v1::PodSandboxStatus& out) {
  out.set_id(record.id);
  *out.mutable_metadata() = record.config.metadata();
  out.set_state(PodState(record));
  out.set_created_at(record.created_at_ns);
  *out.mutable_linux()->mutable_namespaces()->mutable_options() =
      record.config.linux().security_context().namespace_options();
  for (size_t i = 0; i < record.pod_ips.size(); ++i) {
    if (i == 0) {
      out.mutable_network()->set_ip(record.pod_ips[i]);
    } else {
      out.mutable_network()->add_additional_ips()->set_ip(record.pod_ips[i]);
    }
  }
  *out.mutable_labels() = record.config.labels();
  *out.mutable_annotations() = record.config.annotations();
  out.set_runtime_handler(record.runtime_handler);
}

bool MatchesFilter(const sandbox::SandboxRecord& record, const v1::PodSandboxFilter& filter) {
  if (!IdMatches(record.id, filter.id())) return false;
  if (filter.has_state() && filter.state().state() != PodState(record)) return false;
  return util::MatchesLabels(record.config.labels(), filter.label_selector());
}

void FillContainer(const container::ContainerRecord& record, v1::Container& out) {
  out.set_id(record.id);
  out.set_pod_sandbox_id(record.pod_id);
  *out.mutable_metadata() = record.config.metadata();
  FillImageSpec(record, *out.mutable_image());
  out.set_image_ref(record.image_ref);
  out.set_image_id(record.image_id);
  out.set_state(CriState(record.state));
  out.set_created_at(record.created_at_ns);
  *out.mutable_labels() = record.config.labels();
  *out.mutable_annotations() = record.config.annotations();
}

void FillContainerStatus(const container::ContainerRecord& record, v1::ContainerStatus& out) {
  out.set_id(record.id);
  *out.mutable_metadata() = record.config.metadata();
  out.set_state(CriState(record.state));
  out.set_created_at(record.created_at_ns);
  out.set_started_at(record.started_at_ns);
  out.set_finished_at(record.finished_at_ns);
  out.set_exit_code(record.exit_code);
  FillImageSpec(record, *out.mutable_image());
  out.set_image_ref(record.image_ref);
  out.set_image_id(record.image_id);
  out.set_reason(record.reason);
  out.set_message(record.message);
  *out.mutable_labels() = record.config.labels();
  *out.mutable_annotations() = record.config.annotations();
  *out.mutable_mounts() = record.config.mounts();
  out.set_log_path(record.log_path);
  // What CreateContainer was given, or what UpdateContainerResources applied since: the limits
  // in force (kubelet's in-place resize compares them with what it asked for).
  if (record.config.linux().has_resources()) {
    *out.mutable_resources()->mutable_linux() = record.config.linux().resources();
  }
  out.set_stop_signal(record.config.stop_signal());
  *out.mutable_user()->mutable_linux() = record.user;
}

bool MatchesFilter(const container::ContainerRecord& record, const v1::ContainerFilter& filter) {
  if (record.state == container::ContainerState::kCreating) return false;
  if (!IdMatches(record.id, filter.id())) return false;
  if (!IdMatches(record.pod_id, filter.pod_sandbox_id())) return false;
  if (filter.has_state() && filter.state().state() != CriState(record.state)) return false;
  return util::MatchesLabels(record.config.labels(), filter.label_selector());
}

}  // namespace cloison::server
