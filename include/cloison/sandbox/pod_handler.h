// Which runtime handler a new pod runs on. RunPodSandbox.runtime_handler wins when set; an
// empty one means default_runtime, except for pods that mark themselves untrusted with a
// legacy annotation (io.kubernetes.cri-o.TrustedSandbox: "false" or
// io.kubernetes.cri.untrusted-workload: "true"), which go to untrusted_workload_runtime.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::sandbox {

// The handler name to resolve ("" = the default handler). FAILED_PRECONDITION, naming the
// annotation, when the pod is marked untrusted and `untrusted_handler` is "".
absl::StatusOr<std::string> PodHandlerName(const ::runtime::v1::PodSandboxConfig& config,
                                           const std::string& requested, const std::string& untrusted_handler);

}  // namespace cloison::sandbox
