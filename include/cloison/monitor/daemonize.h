// Detaches the container monitor from cloisond (double-fork pattern): fork(); the original
// process exits 0 at once so cloisond's waitpid returns; the child starts its own session,
// becomes a child subreaper (container processes are reparented to it after the runtime's
// create exits), points stdin/stdout/stderr at /dev/null, writes its pid to the pid file
// (atomically) and changes to the bundle directory. SIGPIPE, SIGTERM, SIGINT and SIGHUP are
// ignored so that the monitor outlives daemon restarts; only SIGKILL ends it early.
#pragma once

#include "absl/status/status.h"
#include "cloison/monitor/options.h"

namespace cloison::monitor {

// Returns only in the detached child (or in the original process when fork fails).
absl::Status Daemonize(const MonitorOptions& options);

}  // namespace cloison::monitor
