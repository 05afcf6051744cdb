// Usage counters of one container cgroup, read from the cgroupfs files. The cgroup is named
// by the OCI linux.cgroupsPath of the container's spec: a cgroupfs path (relative to each
// hierarchy's mount point) or runc's systemd form "<slice>:<prefix>:<name>", which lives at
// <slice expanded into its parents>/<prefix>-<name>.scope. On a host with cgroup v1 memory
// controller mounted the v1 files are read, otherwise the v2 unified hierarchy's:
//   cpu     v1 cpuacct.usage (ns)               v2 cpu.stat usage_usec
//   memory  v1 memory.usage_in_bytes, .limit_in_bytes, .stat total_inactive_file,
//           total_rss, total_pgfault, total_pgmajfault
//           v2 memory.current, memory.max, memory.stat inactive_file, anon, pgfault, pgmajfault
//   pids    pids.current
//   swap    v1 memory.memsw.usage_in_bytes - memory.usage_in_bytes, and the limit
//           memory.memsw.limit_in_bytes - memory.limit_in_bytes (only with swap accounting)
//           v2 memory.swap.current, memory.swap.max
// working set = usage - inactive file pages (as cAdvisor); a counter whose file is missing is
// left unset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloison/util/cgroup_hierarchies.h"

namespace cloison::stats {

struct MemorySample {
  uint64_t usage_bytes = 0;
  uint64_t working_set_bytes = 0;
  uint64_t rss_bytes = 0;
  uint64_t page_faults = 0;
  uint64_t major_page_faults = 0;
  std::optional<uint64_t> limit_bytes;  // unset when unlimited
};

struct SwapSample {
  uint64_t usage_bytes = 0;
  std::optional<uint64_t> limit_bytes;  // unset when unlimited
};

struct CgroupSample {
  std::optional<uint64_t> cpu_usage_ns;
  std::optional<MemorySample> memory;
  std::optional<SwapSample> swap;
  std::optional<uint64_t> pids;
};

CgroupSample ReadCgroupSample(const std::vector<util::CgroupHierarchy>& hierarchies,
                              const std::string& cgroups_path);

}  // namespace cloison::stats
