// The OCI linux.cgroupsPath of a container under its pod's cgroup parent: for cgroupfs
// "<parent>/cloison-<id>" (parent "/cloison" when kubelet gave none), for systemd
// "<parent slice>:cloison:<id>" (runc's slice:prefix:name form).
#pragma once

#include <string>

namespace cloison::oci {

std::string ContainerCgroupsPath(const std::string& cgroup_parent, const std::string& container_id,
                                 bool systemd);

}  // namespace cloison::oci
