// The container's own cgroup, after its runtime deleted the container: runc removes it, but
// runsc skips that when its `delete --force` fails after it forgot the container (a sandbox
// reaped late: oci_runtime.h), leaving an empty cgroup under the pod's cgroup parent, which
// kubelet then cannot remove. RemoveLeftoverCgroup removes that leaf, named by the bundle's
// linux.cgroupsPath, in every mounted hierarchy where it is still there. cgroupfs paths only (a
// systemd scope goes with its last process); only an empty cgroup goes (rmdir); one that
// cannot go is logged, never an error of the delete.
#pragma once

#include <string>

namespace cloison::runtime {

// `bundle_dir` holds the config.json of container `id`. Nothing when its cgroupsPath is not
// one cloison gives a container (<parent>/cloison-<id>, oci/cgroups_path.h): a parent's
// cgroup is never touched.
void RemoveLeftoverCgroup(const std::string& bundle_dir, const std::string& id);

}  // namespace cloison::runtime
