// Container mode of cloison-monitor: detaches, creates the container through the OCI runtime
// with stdio the monitor owns, reports {"pid":N} (or {"pid":-1,"message":...}) on the sync fd,
// then serves the ctl and attach sockets, copies the container's output to the CRI log and to
// attached clients, and, once the container has exited and its output is drained, writes the
// exit file, removes its sockets and exits. Single-threaded: one poll(2) loop.
#pragma once

#include "cloison/monitor/options.h"

namespace cloison::monitor {

// Runs the whole life of one container's monitor; returns the process exit status.
int RunContainerMonitor(const MonitorOptions& options);

}  // namespace cloison::monitor
