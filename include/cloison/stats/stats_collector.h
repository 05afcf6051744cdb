// CRI ContainerStats and PodSandboxStats from the container and pod records:
//  * a container's cgroup is the linux.cgroupsPath of <state_dir>/config.json (cgroup_stats.h);
//    its swap usage is reported where the cgroup accounts swap, with the bytes available when
//    it has a swap limit (as cAdvisor);
//    its writable layer is its overlay upper directory <root>/storage/<id>/upper (dir_usage.h),
//    reported with fs_id <root>/storage;
//  * a pod's CPU, memory and process counts are the sums over its containers' cgroups and its
//    infra container's (<pod dir>/infra/config.json), not the pod cgroup, which kubelet may
//    share between pods when it sets no cgroup_parent;
//  * a pod's network counters come from /proc/<pid>/net/dev of its infra container, or else
//    of one of its running containers, in the pod's network namespace; "eth0" (else the first
//    interface) is the default interface. Pods on the host network, or with no running
//    process, report no network usage;
//  * usage_nano_cores is computed against the previous sample of the same container or pod
//    (cpu_rate.h), so the first call after start reports only the cumulative usage.
// Exited containers report zero usage from their (gone) cgroup: every counter is left unset
// when its file cannot be read.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cloison/container/container_record.h"
#include "cloison/cri/api.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/sandbox/sandbox_record.h"
#include "cloison/stats/cgroup_stats.h"
#include "cloison/stats/cpu_rate.h"

namespace cloison::stats {

class StatsCollector {
 public:
  // Gives a container id's writable layer directory.
  using LayerDir = std::function<std::string(const std::string&)>;

  StatsCollector();

  ::runtime::v1::ContainerStats ForContainer(const container::ContainerRecord& record, const LayerDir& layer_dir);
  // `containers` are the pod's.
  ::runtime::v1::PodSandboxStats ForPod(const sandbox::SandboxRecord& pod,
                                        const std::vector<container::ContainerRecord>& containers,
                                        const LayerDir& layer_dir);

 private:
  ::runtime::v1::ContainerStats Build(const container::ContainerRecord& record, const LayerDir& layer_dir,
                                      CgroupSample& sample);

  std::vector<util::CgroupHierarchy> hierarchies_;
  CpuRateTracker rates_;
};

}  // namespace cloison::stats
