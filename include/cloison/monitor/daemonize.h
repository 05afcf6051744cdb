// Detaches the container monitor from cloisond (double-fork pattern): fork(); the original
// process exits 0 at once so cloisond's waitpid returns; the child starts its own session,
// becomes a child subreaper (container processes are reparented to it after the runtime's
// create exits), points stdin/stdout/stderr at /dev/null, writes its pid to the pid file
// (atomically) and changes to the bundle directory. SIGPIPE, SIGTERM, SIGINT and SIGHUP are
// ignored so that the monitor outlives daemon restarts; only SIGKILL ends it early.
// cloisond then learns how the container's making went from the monitor's one report on the
// sync pipe (options.sync_fd; read by runtime/monitor_launch.cc), one JSON line:
// {"pid":N} once the container is made, {"pid":-1,"message":"..."} when it could not be, with
// "timed_out":true when the runtime ran out of time (cloisond then answers DEADLINE_EXCEEDED).
#pragma once

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "cloison/monitor/options.h"

namespace cloison::monitor {

// Returns only in the detached child (or in the original process when fork fails).
absl::Status Daemonize(const MonitorOptions& options);

// A container mode's whole run (OCI runtime or shim): makes the sync fd close-on-exec, detaches,
// and returns what `monitor` returns in the detached child. 1 when the sync fd is unusable (said
// on stderr) or Daemonize fails (said in a failure report on the sync pipe).
int RunDetached(const MonitorOptions& options, absl::FunctionRef<int()> monitor);

// The sync pipe's report of a made container: {"pid":N}.
std::string SyncPidReport(int64_t pid);

// The sync pipe's report of a failure: {"pid":-1,"message":<status message>}, plus
// "timed_out":true when `timed_out`.
std::string SyncFailureReport(const absl::Status& status, bool timed_out = false);

}  // namespace cloison::monitor
