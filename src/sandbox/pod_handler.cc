#include "cloison/sandbox/pod_handler.h"

#include "absl/strings/str_cat.h"

namespace cloison::sandbox {
namespace {

// The legacy annotation that marks the pod untrusted, as "key: value", or "".
std::string UntrustedMark(const ::runtime::v1::PodSandboxConfig& config) {
  const auto& annotations = config.annotations();
  if (auto it = annotations.find("io.kubernetes.cri-o.TrustedSandbox"); it != annotations.end() && it->second == "false") {
    return "io.kubernetes.cri-o.TrustedSandbox: \"false\"";
  }
  if (auto it = annotations.find("io.kubernetes.cri.untrusted-workload"); it != annotations.end() && it->second == "true") {
    return "io.kubernetes.cri.untrusted-workload: \"true\"";
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> PodHandlerName(const ::runtime::v1::PodSandboxConfig& config,
                                           const std::string& requested, const std::string& untrusted_handler) {
  if (!requested.empty()) return requested;
  const std::string mark = UntrustedMark(config);
  if (mark.empty()) return std::string();
  if (untrusted_handler.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("config.annotations: the pod is marked untrusted (", mark,
                                                      ") but cloison has no untrusted_workload_runtime configured"));
  }
  return untrusted_handler;
}

}  // namespace cloison::sandbox
