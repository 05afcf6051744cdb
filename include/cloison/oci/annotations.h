// The OCI spec's annotations: the CRI annotations the runtime handler allows through, then
// the runtime-facing identity annotations that runtimes and hooks read (containerd's
// io.kubernetes.cri.* keys, CRI-O's io.kubernetes.cri-o.* keys and kubelet's
// io.kubernetes.pod.* / io.kubernetes.container.name). The identity annotations are written
// last, so a CRI annotation can never forge them. Labels are not copied (as containerd).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloison/cri/api.h"

namespace cloison::oci {

// True if `key` matches a pattern of `allowed`: an exact key, or a prefix ending in '*'
// ("*" alone allows every key).
bool AnnotationAllowed(const std::string& key, const std::vector<std::string>& allowed);

struct AnnotationsInput {
  std::string container_id, sandbox_id, container_name, stop_signal;
  std::string image_name;  // shown for it (container/shown_image.h); the pause image for the sandbox
  const ::runtime::v1::PodSandboxConfig* sandbox_config = nullptr;  // required
  const ::runtime::v1::ContainerConfig* config = nullptr;           // null for the sandbox
  std::vector<std::string> allowed;
  bool sandbox_container = false;
};

// Pod annotations, then container annotations (which win), both filtered by `allowed`; then
// io.kubernetes.cri.{container-type, sandbox-id, sandbox-name, sandbox-namespace, sandbox-uid}
// plus, for containers, container-name and image-name and, for the sandbox,
// sandbox-log-directory and podsandbox.image-name; io.kubernetes.cri-o.{ContainerType,
// ContainerID, SandboxID, ContainerName, Image, ImageName}; io.kubernetes.pod.{name, namespace, uid} and,
// for containers, io.kubernetes.container.name; org.opencontainers.image.stopSignal when the
// image sets one.
nlohmann::json BuildAnnotations(const AnnotationsInput& input);

}  // namespace cloison::oci
