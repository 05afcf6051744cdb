// Whether a pod still stands on what RunPodSandbox made for it, and the shared PID namespace a
// new container of the pod may join. A READY pod stays READY while its infra container (when
// it has one) runs, as cloison last learned it (`infra_running`: its exit file, or its
// monitor gone at recovery), and while each namespace pinned for it is still a namespace file
// (a reboot empties the state dir's tmpfs; an unmount leaves a plain file). Once one is gone
// the pod is NOTREADY, as containerd and CRI-O report a pod whose sandbox container is gone:
// kubelet then stops it, removes it and makes a new one. The checks are cheap (a flag, one
// statfs per pin, two stats for the PID namespace): no runtime call.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cloison/sandbox/sandbox_record.h"

namespace cloison::sandbox {

// Whether the pod's containers share one PID namespace, its infra container's.
bool SharesPidNamespace(const SandboxRecord& record);

// What the pod no longer stands on ("" while it stands). A pod that shares its PID namespace
// needs it pinned (pods recorded by a cloisond from before the pin have none).
std::string MissingWall(const SandboxRecord& record);

// Why a pod is checked: nothing asked it to stop (a missing wall is news: a warning), or
// StopPodSandbox is stopping it (the infra container's exit is its own doing: logged at info).
enum class DemotionCause { kUnexpected, kStopping };

// Makes a READY `record` NOTREADY, logging what is missing, when MissingWall names something.
// True when it changed `record` (the caller saves it).
bool DemoteIfWallMissing(SandboxRecord& record, DemotionCause cause = DemotionCause::kUnexpected);

// For a pod that shares its PID namespace: the pinned namespace a new container joins, once
// its infra container is seen running in it (the namespace of /proc/<infra_pid>/ns/pid is the
// pinned one: a pid that another process took over after the infra container's end is in
// another namespace). FAILED_PRECONDITION naming pod_sandbox_id otherwise.
absl::StatusOr<std::string> SharedPidNamespace(const SandboxRecord& record);

}  // namespace cloison::sandbox
