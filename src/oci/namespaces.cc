#include "cloison/oci/namespaces.h"

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

nlohmann::json LinuxNamespaces(const NamespacePaths& paths, bool cgroup_namespace) {
  nlohmann::json list = nlohmann::json::array();
  Add(list, "pid", paths.host_pid, paths.pid);
  Add(list, "network", paths.host_network, paths.network);
  Add(list, "ipc", paths.host_ipc, paths.ipc);
  Add(list, "uts", paths.host_network, paths.uts);
  Add(list, "mount", false, "");
  if (cgroup_namespace) Add(list, "cgroup", false, "");
  Add(list, "user", paths.user.empty(), paths.user);
  return list;
}

}  // namespace cloison::oci
