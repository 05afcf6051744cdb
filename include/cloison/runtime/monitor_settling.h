// What a container's state dir tells recovery about its cloison-monitor after cloisond ended:
// whether the monitor lives (its liveness lock, monitor_launch.h; by its pid in a state dir
// from before the lock), and what became of a create or start the monitor was running when
// cloisond's end cut the call short. The state dir is the monitor's request.state_dir, which
// is also the bundle where the runtime writes its `pidfile` once it has made the container.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cloison::runtime {

// Whether the container's monitor lives: its liveness lock is held, or, without a lock file,
// `monitor_pid` runs cloison-monitor (and is not a zombie).
bool MonitorLives(const std::string& state_dir, int monitor_pid);

// What became of the create or start a monitor was running.
struct MonitorSettling {
  enum Outcome {
    kMade,      // the runtime's pidfile is there: the container was made
    kFailed,    // no monitor lives for it, and none made it
    kUnderWay,  // its monitor still runs the runtime
  };
  Outcome outcome = kFailed;
  int pid = 0;  // kMade: the container's
  int monitor_pid = 0;
};

// Waits, until `deadline`, for the monitor in `state_dir` to make the container or to end (a
// monitor whose liveness lock is free, or without the lock whose pid file names no live
// monitor, will never make it); kUnderWay once the deadline has passed with neither.
MonitorSettling SettleMonitor(const std::string& state_dir, absl::Time deadline);

// Recovery of a create that cloisond's end cut short, before the runtime's Delete of what it
// may have made: waits as SettleMonitor does, so that the container is not made after its
// deletion; when the deadline passes first, warns that the monitor of `subject` ("container
// <id>", "the infra container of pod sandbox <id>") may still be making what is deleted anyway.
void SettleBeforeDelete(const std::string& state_dir, absl::Time deadline, absl::string_view subject);

// SIGKILLs the monitor of container `id` in `state_dir` if it still lives (its liveness lock
// held, its monitor.pid naming a cloison-monitor of `id`): for a container that is deleted
// with its record, whose monitor may otherwise wait forever for an exit that will not come (a
// runsc container deleted before it started) and whose exit no one reads. Returns once that
// monitor runs no more (at most a second).
void KillMonitor(const std::string& state_dir, const std::string& id);

// Removes the exit file `exit_file` of a container deleted with its record, and the temporary
// file (<exit_file>.tmp-XXXXXX) its monitor leaves when KillMonitor ends it while writing.
void RemoveExitFiles(const std::string& exit_file);

}  // namespace cloison::runtime
