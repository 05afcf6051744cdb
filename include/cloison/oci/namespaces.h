// The container's Linux namespaces: which to create, which to join by path and which to share
// with the host. Mount is always new; UTS follows the network (a host-network pod also uses
// the host's UTS namespace, as kubelet and containerd expect); a pod with its own user
// namespace (user_namespace.h) has it pinned, and every container joins it by path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cloison::oci {

// Per namespace: a host flag, else a path to join (a pinned namespace's bind mount or
// /proc/<pid>/ns/<type>), else "" for a new one. The user namespace is the host's unless
// `user` names the pod's pinned one.
struct NamespacePaths {
  std::string network, ipc, uts, pid, user;
  bool host_network = false, host_ipc = false, host_pid = false;
};

// linux.namespaces. `cgroup_namespace` adds a new cgroup namespace.
nlohmann::json LinuxNamespaces(const NamespacePaths& paths, bool cgroup_namespace);

}  // namespace cloison::oci
