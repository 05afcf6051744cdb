#include "cloison/oci/annotations.h"

#include "absl/strings/match.h"

namespace cloison::oci {
namespace {

void CopyAllowed(const google::protobuf::Map<std::string, std::string>& from,
                 const std::vector<std::string>& allowed, nlohmann::json& to) {
  for (const auto& [key, value] : from) {
    if (AnnotationAllowed(key, allowed)) to[key] = value;
  }
}

}  // namespace

bool AnnotationAllowed(const std::string& key, const std::vector<std::string>& allowed) {
  for (const std::string& pattern : allowed) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (absl::StartsWith(key, absl::string_view(pattern).substr(0, pattern.size() - 1))) {
        return true;
      }
    } else if (key == pattern) {
      return true;
    }
  }
  return false;
}

nlohmann::json BuildAnnotations(const AnnotationsInput& in) {
  nlohmann::json out = nlohmann::json::object();
  const ::runtime::v1::PodSandboxConfig& pod = *in.sandbox_config;
  CopyAllowed(pod.annotations(), in.allowed, out);
  if (in.config != nullptr) CopyAllowed(in.config->annotations(), in.allowed, out);

  const char* type = in.sandbox_container ? "sandbox" : "container";
  const ::runtime::v1::PodSandboxMetadata& meta = pod.metadata();
  out["io.kubernetes.cri.container-type"] = type;
  out["io.kubernetes.cri.sandbox-id"] = in.sandbox_id;
  out["io.kubernetes.cri.sandbox-name"] = meta.name();
  out["io.kubernetes.cri.sandbox-namespace"] = meta.namespace_();
  out["io.kubernetes.cri.sandbox-uid"] = meta.uid();
  out["io.kubernetes.cri-o.ContainerType"] = type;
  out["io.kubernetes.cri-o.ContainerID"] = in.container_id;
  out["io.kubernetes.cri-o.SandboxID"] = in.sandbox_id;
  out["io.kubernetes.cri-o.ContainerName"] = in.container_name;
  // As CRI-O: Image is the reference CreateContainer named (kubelet sends the image id),
  // ImageName the name shown for it, which is also containerd's image-name below.
  out["io.kubernetes.cri-o.Image"] = in.sandbox_container ? in.image_name : in.config->image().image();
  out["io.kubernetes.cri-o.ImageName"] = in.image_name;
  out["io.kubernetes.pod.name"] = meta.name();
  out["io.kubernetes.pod.namespace"] = meta.namespace_();
  out["io.kubernetes.pod.uid"] = meta.uid();
  if (in.sandbox_container) {
    out["io.kubernetes.cri.sandbox-log-directory"] = pod.log_directory();
    out["io.kubernetes.cri.podsandbox.image-name"] = in.image_name;
  } else {
    out["io.kubernetes.cri.container-name"] = in.config->metadata().name();
    out["io.kubernetes.cri.image-name"] = in.image_name;
    out["io.kubernetes.container.name"] = in.config->metadata().name();
  }
  if (!in.stop_signal.empty()) out["org.opencontainers.image.stopSignal"] = in.stop_signal;
  return out;
}

}  // namespace cloison::oci
