#include "cloison/oci/cgroups_path.h"

#include "absl/strings/str_cat.h"

namespace cloison::oci {

std::string ContainerCgroupsPath(const std::string& cgroup_parent, const std::string& container_id,
                                 bool systemd) {
  if (systemd) {
    const std::string slice = cgroup_parent.empty() ? "system.slice" : cgroup_parent;
    return absl::StrCat(slice, ":cloison:", container_id);
  }
  const std::string parent = cgroup_parent.empty() ? "/cloison" : cgroup_parent;
  return absl::StrCat(parent, "/cloison-", container_id);
}

}  // namespace cloison::oci
