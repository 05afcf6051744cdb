// NamespaceMode TARGET (kubectl debug's ephemeral container, sharing the processes of another
// container of its pod): the target's PID namespace, pinned under the new container's state dir
// (`<state dir>/ns/pid`, a bind mount of its nsfs inode) at CreateContainer. The runtime joins
// the namespace only at StartContainer; through the pin it joins the target's, never that of
// whatever process holds the target's pid by then (one of the host's, say). The namespace lives
// on while pinned; once no process is left in it, the runtime's join fails.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::container {

// The target container as its record knows it.
struct PidNamespaceTarget {
  std::string container_id;
  pid_t pid = 0;  // its process, as the runtime reported it
};

// Pins the PID namespace of `target.pid` to `<state_dir>/ns/pid` and returns that path, once sure
// it is the target's: the process, held by a pidfd from the start, lives in a cgroup naming the
// target and still lives once the pin is mounted, and the pin is the namespace that was checked.
// FAILED_PRECONDITION naming `field` when the process is gone or is not the target's (its pid was
// reused), or when its PID namespace is cloisond's own (a host-PID pod's, or runsc's, whose
// reported pid is its sandbox's: TARGET must not hand out the host's).
absl::StatusOr<std::string> PinTargetPidNamespace(const PidNamespaceTarget& target, const std::string& state_dir,
                                                  absl::string_view field);

// Unmounts and removes the pin of the container whose state dir is `state_dir`. Idempotent: OK
// when there is none.
absl::Status UnpinTargetPidNamespace(const std::string& state_dir);

}  // namespace cloison::container
