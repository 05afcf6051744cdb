#include "cloison/oci/namespaces.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cloison::oci {
namespace {

// Appends {type} or {type, path} unless the namespace is the host's.
void Add(nlohmann::json& list, const char* type, bool host, const std::string& path) {
  if (host) return;
  nlohmann::json ns = {{"type", type}};
  if (!path.empty()) ns["path"] = path;
  list.push_back(std::move(ns));
}

}  // namespace

absl::Status CheckNoUserNamespace(const ::runtime::v1::NamespaceOption* options,
                                  absl::string_view field_prefix) {
  if (options == nullptr || !options->has_userns_options() ||
      options->userns_options().mode() == ::runtime::v1::NODE) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      field_prefix, ".namespace_options.userns_options.mode: ",
      ::runtime::v1::NamespaceMode_Name(options->userns_options().mode()),
      ": user namespaces are not supported by any cloison runtime handler (Status reports "
      "features.user_namespaces = false)"));
}

absl::StatusOr<nlohmann::json> LinuxNamespaces(const NamespacePaths& paths, bool cgroup_namespace,
                                               const ::runtime::v1::NamespaceOption* options,
                                               absl::string_view field_prefix) {
  if (absl::Status s = CheckNoUserNamespace(options, field_prefix); !s.ok()) return s;
  nlohmann::json list = nlohmann::json::array();
  Add(list, "pid", paths.host_pid, paths.pid);
  Add(list, "network", paths.host_network, paths.network);
  Add(list, "ipc", paths.host_ipc, paths.ipc);
  Add(list, "uts", paths.host_network, paths.uts);
  Add(list, "mount", false, "");
  if (cgroup_namespace) Add(list, "cgroup", false, "");
  return list;
}

}  // namespace cloison::oci
