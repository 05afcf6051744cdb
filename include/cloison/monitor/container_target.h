// The running container a direct ExecSync enters: its init process, found through the pid
// file the runtime wrote into the bundle (`<bundle>/pidfile`) and held by a pidfd. The pid is
// trusted only if that process started before the pid file was written (a reused pid belongs
// to a process started later) and is still alive once everything about it was read (so what
// was read under /proc/<pid> was its). FAILED_PRECONDITION when it is gone or not the
// container's init; the caller then leaves the exec to the runtime.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

struct ContainerTarget {
  pid_t pid = 0;
  util::UniqueFd pidfd;
  // CLONE_NEW* flags of the init's namespaces that differ from the caller's (setns(pidfd)).
  int namespace_flags = 0;
  // The cgroup.procs file of every hierarchy the init is in (v1: each mounted hierarchy,
  // v2: the unified one), as seen from the caller's mount and cgroup namespaces.
  std::vector<std::string> cgroup_procs;
};

absl::StatusOr<ContainerTarget> OpenContainerTarget(const std::string& bundle);

}  // namespace cloison::monitor
