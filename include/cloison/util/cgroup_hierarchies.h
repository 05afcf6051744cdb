// The cgroup hierarchies mounted in the calling process's mount namespace, from /proc/self/mountinfo:
// each cgroup v1 hierarchy once (with its controllers) and the cgroup v2 unified hierarchy; and
// where the cgroup an OCI linux.cgroupsPath names lies under each hierarchy's mount point.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

struct CgroupHierarchy {
  std::string mount_point;               // e.g. /sys/fs/cgroup/memory
  std::vector<std::string> controllers;  // v1: "cpu", "cpuacct", "name=systemd", ...; v2: none
  bool unified = false;                  // the cgroup2 hierarchy
};

// Parses mountinfo text. A hierarchy mounted twice is listed once, at its first mount.
absl::StatusOr<std::vector<CgroupHierarchy>> ParseCgroupHierarchies(absl::string_view mountinfo);

// Reads /proc/self/mountinfo.
absl::StatusOr<std::vector<CgroupHierarchy>> MountedCgroupHierarchies();

// The path, relative to a hierarchy's mount point, of the cgroup an OCI linux.cgroupsPath names:
// a cgroupfs path is itself (with a leading "/" when it lacks one); runc's systemd form
// "<slice>:<prefix>:<name>" lies at <slice expanded into its parents>/<prefix>-<name>.scope.
// "/kubepods/pod1/cloison-x" -> itself; "kubepods/x" -> "/kubepods/x";
// "kubepods-pod1.slice:cloison:x" -> "/kubepods.slice/kubepods-pod1.slice/cloison-x.scope".
std::string CgroupRelativePath(const std::string& cgroups_path);

}  // namespace cloison::util
