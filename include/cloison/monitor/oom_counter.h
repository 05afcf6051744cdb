// The OOM-kill counter of a process's memory cgroup, read at container creation (or taken as 0
// for a cgroup the runtime made in the same call that started the container) and again after it
// exits: a raised counter means the kernel OOM-killed something in the container.
// cgroup v1: the "oom_kill" line of <root>/memory/<path>/memory.oom_control.
// cgroup v2: the "oom_kill" line of memory.events under <root>/unified/<path> (hybrid hosts)
// or <root>/<path> (pure v2). The counter file stays open, so a later read works even when
// the cgroup's path is no longer reachable. The cgroup is found from a process's
// /proc/<pid>/cgroup or, for a process that may be gone already (a cgroup v1 zombie shows the
// root cgroup there), from the OCI linux.cgroupsPath that named it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

// The value of the "oom_kill <n>" line in a memory.events or memory.oom_control text.
absl::StatusOr<uint64_t> ParseOomKillCount(absl::string_view text);

class OomCounter {
 public:
  // Finds the counter file of `pid` from <proc_root>/<pid>/cgroup, looking under cgroup_root.
  static absl::StatusOr<OomCounter> ForProcess(pid_t pid, const std::string& proc_root = "/proc",
                                               const std::string& cgroup_root = "/sys/fs/cgroup");
  // Finds the counter file of the cgroup an OCI linux.cgroupsPath names, under cgroup_root.
  static absl::StatusOr<OomCounter> ForCgroupsPath(const std::string& cgroups_path,
                                                   const std::string& cgroup_root = "/sys/fs/cgroup");

  const std::string& path() const { return path_; }
  absl::StatusOr<uint64_t> Read() const;

 private:
  OomCounter(std::string path, util::UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  // The first of `candidates` that opens and holds an oom_kill line; `what` names the cgroup's source.
  static absl::StatusOr<OomCounter> FirstReadable(std::vector<std::string> candidates, const std::string& what);

  std::string path_;
  util::UniqueFd fd_;
};

}  // namespace cloison::monitor
