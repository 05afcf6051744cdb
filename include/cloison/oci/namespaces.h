// The container's Linux namespaces: which to create, which to join by path and which to share
// with the host. Mount is always new; UTS follows the network (a host-network pod also uses
// the host's UTS namespace, as kubelet and containerd expect); user namespaces are not
// supported yet.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

// Per namespace: a host flag, else a path to join (a pinned namespace's bind mount or
// /proc/<pid>/ns/<type>), else "" for a new one.
struct NamespacePaths {
  std::string network, ipc, uts, pid;
  bool host_network = false, host_ipc = false, host_pid = false;
};

// OK unless `options` (may be null) asks for a user namespace: a userns_options mode other
// than NODE is FAILED_PRECONDITION (no handler offers user namespaces; Status says so),
// naming `<field_prefix>.namespace_options.userns_options.mode`.
absl::Status CheckNoUserNamespace(const ::runtime::v1::NamespaceOption* options,
                                  absl::string_view field_prefix);

// linux.namespaces. `cgroup_namespace` adds a new cgroup namespace. `options` (may be null)
// is the CRI NamespaceOption, checked with CheckNoUserNamespace.
absl::StatusOr<nlohmann::json> LinuxNamespaces(const NamespacePaths& paths, bool cgroup_namespace,
                                               const ::runtime::v1::NamespaceOption* options,
                                               absl::string_view field_prefix);

}  // namespace cloison::oci
