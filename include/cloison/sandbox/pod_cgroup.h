// The pod-level cgroup named by LinuxPodSandboxConfig.cgroup_parent, under which the pod's
// containers run.
//
// cgroupfs driver (an absolute path such as "/kubepods/besteffort/pod<uid>"): kubelet normally
// creates the pod cgroup itself, with the pod's limits (its containers' sum plus the pod
// overhead) applied, and cloison then leaves it alone. Where it is missing, cloison creates it
// (and missing ancestors) in every mounted hierarchy: each cgroup v1 hierarchy, whose cpuset
// copy gets cpuset.cpus/mems from its parent, and the v2 unified hierarchy, whose parents get
// the available controllers enabled. In each hierarchy where cloison created the pod's cgroup
// it applies, as kubelet would:
//   memory limit = resources + overhead, only when resources has one (unlimited containers
//                  make an unlimited pod);
//   cpu shares   = resources + overhead (cpu.weight on v2);
//   cpu quota    = resources + overhead (scaled to resources' period), only when resources
//                  has one;
//   cpuset       = resources' cpuset_cpus/cpuset_mems when set;
//   hugepages    = resources + overhead for each page size resources limits.
// A limit left unset is written as a new cgroup has it: memory unlimited (-1 / max), cpu
// shares 1024 (cpu.weight 100), no quota (-1 / "max 100000"), the parent's cpuset (v2: empty)
// and unlimited hugepages of every size, so an update that drops a limit lifts it.
// RemovePodCgroup removes exactly the directories cloison created, leaf-first: the pod's
// cgroup after any empty child cgroups left in it (retrying while the kernel still reports
// EBUSY), then created ancestors that no other pod uses.
//
// systemd driver (cgroup_parent ends in ".slice"): systemd creates slices itself, so nothing is
// created here; the slice is only recorded and containers are placed with runc's systemd
// cgroup path "<slice>:cloison:<id>" (oci/cgroups_path.h).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::sandbox {

// What cloison did for a pod's cgroup; kept in the pod's record until RemovePodCgroup.
struct PodCgroup {
  std::string cgroup_parent;
  bool systemd_slice = false;
  std::vector<std::string> created;  // absolute directories cloison made, ancestors first
};

// The directories CreatePodCgroup(config) would make now: in each mounted hierarchy, those of
// cgroup_parent that are missing, ancestors first (none for an empty cgroup_parent or a systemd
// slice). RunPodSandbox records them before it creates them, so that a crash in between
// leaves recovery their names. INVALID_ARGUMENT names linux.cgroup_parent when it is no valid
// cgroupfs path.
absl::StatusOr<std::vector<std::string>> MissingPodCgroupDirs(const ::runtime::v1::LinuxPodSandboxConfig& config);

// An empty cgroup_parent does nothing. INVALID_ARGUMENT names linux.cgroup_parent or the
// resource field at fault; on any failure the directories created so far are removed.
absl::StatusOr<PodCgroup> CreatePodCgroup(const ::runtime::v1::LinuxPodSandboxConfig& config);

// UpdatePodSandboxResources: the limits computed as above from `config` (its overhead and
// resources, which replace the old ones whole: what they leave unset is reset, not kept)
// are written again in each hierarchy where cloison created the pod's cgroup; a
// cgroup kubelet made, or a systemd slice, is kubelet's to update and is left alone.
// INVALID_ARGUMENT names the resource field at fault.
absl::Status UpdatePodCgroup(const PodCgroup& cgroup, const ::runtime::v1::LinuxPodSandboxConfig& config);

// Idempotent: directories already gone are fine. FAILED_PRECONDITION when the pod's cgroup
// stays busy (processes still inside).
absl::Status RemovePodCgroup(const PodCgroup& cgroup);

}  // namespace cloison::sandbox
