// What every runtime type shares about a container's cloison-monitor: its command line for a
// CreateRequest, spawning it with the sync pipe and reading its {"pid":N} report, and the
// "start" and "reopen" requests on its ctl socket.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/runtime/runtime.h"

namespace cloison::runtime {

// cloison-monitor in cloisond's own directory.
std::string MonitorBesideDaemon();

// The flags of a container-mode monitor that come from `request` (id, bundle, log, exit file,
// sockets, pid file, sync fd 3, tty and stdin); the caller adds the runtime or shim flags.
std::vector<std::string> MonitorContainerFlags(const CreateRequest& request);

// The longest the runtime's create (or run) may take: the monitor's --create-timeout.
inline constexpr std::chrono::seconds kRuntimeCreateTimeout{120};

// Creates the request's state and socket dirs, runs `argv` (a container-mode monitor) and
// waits for its report. FAILED_PRECONDITION with `what` (e.g. "runc create") and the monitor's
// message when the container could not be created, DEADLINE_EXCEEDED when the runtime
// outlived the monitor's --create-timeout (the monitor killed it).
absl::StatusOr<CreateResult> LaunchContainerMonitor(const std::vector<std::string>& argv, const CreateRequest& request,
                                                    absl::string_view what);

// Asks the monitor to start the container; FAILED_PRECONDITION with `what` when that fails.
absl::Status StartThroughMonitor(const CreateRequest& request, absl::string_view what);

// Asks the monitor to reopen the container's log file.
absl::Status ReopenLogThroughMonitor(const CreateRequest& request);

}  // namespace cloison::runtime
