// Interactive exec for vm handlers (cloison-monitor --shim-exec): a foreground relay between
// its own stdio and one process exec'd through a containerd shim v2's task service. It makes
// stdin/stdout/stderr FIFOs in a temp dir under --state-dir, Execs the OCI process of
// --process-spec (its `terminal` chooses a pty; stderr then travels on stdout) and Starts it,
// copies its stdin to the process (EOF = CloseStdin) and the process's output to its stdout and
// stderr. With a terminal its stdin is put in raw mode and its size (TIOCGWINSZ on fd 0) is
// sent with ResizePty at start and on every SIGWINCH. It exits with the process's exit code
// after Deleting the exec. SIGTERM, SIGHUP, SIGINT, or a hang-up of its stdin terminal or its
// stdout, mean the client is gone: the process is killed with SIGKILL, then Deleted (exit 137).
// Setup failures are reported on stderr with exit code 126. No pid file is written: the exec's
// pid lives in the shim's (possibly a VM's) pid namespace, so nobody on the host may signal it.
#pragma once

#include "cloison/monitor/options.h"

namespace cloison::monitor {

int RunShimExec(const MonitorOptions& options);

}  // namespace cloison::monitor
