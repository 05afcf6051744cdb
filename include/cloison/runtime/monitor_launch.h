// What every runtime type shares about a container's cloison-monitor: its command line for a
// CreateRequest, spawning it with the sync pipe and reading its {"pid":N} report, and the
// "start" and "reopen" requests on its ctl socket. Monitors are always executed from a sealed
// in-memory copy of their binary (util/sealed_executable.h), so that a monitor's
// /proc/<pid>/exe cannot be written from a container that sees it; argv[0] stays the
// monitor's path on disk (ps, and cloisond's liveness check of monitors, read it; the monitor
// sets its process name from it).
//
// A container's monitor holds the liveness lock <state_dir>/monitor.lock
// (util/liveness_lock.h) from before it is spawned until it exits: cloisond takes the lock,
// hands that open file description to the spawned monitor as its fd 4 (--lock-fd) and closes
// its own copy, so a held lock means a monitor lives for the container (still starting it, or
// running it) and a free one that none ever will act on it again.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/runtime/handler_table.h"
#include "cloison/runtime/runtime.h"
#include "cloison/util/sealed_executable.h"

namespace cloison::runtime {

// cloison-monitor in cloisond's own directory.
std::string MonitorBesideDaemon();

// The two programs a handler of either type runs, part of both OciRuntimeOptions and
// VmRuntimeOptions.
struct HandlerPrograms {
  std::string runtime_path;  // the handler's resolved binary: an OCI runtime CLI, or a shim v2
  std::string monitor_path;  // cloison-monitor
};

// `handler`'s resolved binary, and its monitor_path or else the monitor beside cloisond.
HandlerPrograms ProgramsForHandler(const HandlerInfo& handler);

// The monitor's liveness lock in a container's state dir.
std::string MonitorLockPath(const std::string& state_dir);

// The flags of a container-mode monitor that come from `request` (id, bundle, log, exit file,
// sockets, pid file, sync fd 3, lock fd 4, tty and stdin); the caller adds the runtime or shim flags.
std::vector<std::string> MonitorContainerFlags(const CreateRequest& request);

// The current sealed copy of the monitor binary at `path`; INTERNAL (or NOT_FOUND) when it
// cannot be made: the monitor is then not started at all.
absl::StatusOr<std::shared_ptr<const util::SealedCopy>> SealedMonitor(const std::string& path);

// The longest the runtime's create (or run) may take: the monitor's --create-timeout.
inline constexpr std::chrono::seconds kRuntimeCreateTimeout{120};

// Creates the request's state and socket dirs, takes the monitor's liveness lock
// (FAILED_PRECONDITION when a monitor of the container still holds it), runs `argv` (a
// container-mode monitor, from the sealed copy of argv[0]) with the lock and waits for its
// report. FAILED_PRECONDITION with `what` (e.g. "runc create") and the monitor's message when
// the container could not be created, DEADLINE_EXCEEDED when the runtime outlived the
// monitor's --create-timeout (the monitor killed it).
absl::StatusOr<CreateResult> LaunchContainerMonitor(const std::vector<std::string>& argv, const CreateRequest& request,
                                                    absl::string_view what);

// Asks the monitor to start the container; FAILED_PRECONDITION with `what` when that fails.
absl::Status StartThroughMonitor(const CreateRequest& request, absl::string_view what);

// Asks the monitor to reopen the container's log file.
absl::Status ReopenLogThroughMonitor(const CreateRequest& request);

}  // namespace cloison::runtime
