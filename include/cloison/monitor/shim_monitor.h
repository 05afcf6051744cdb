// Container mode of cloison-monitor for vm handlers (--shim): the container runs under a
// containerd shim v2 (Kata's containerd-shim-kata-v2, containerd-shim-runc-v2) instead of an
// OCI runtime CLI. Like the OCI mode it detaches, owns the container's stdio (FIFOs in
// --state-dir that the shim opens), the CRI log, the ctl and attach sockets and the exit file,
// and reports {"pid":N} (or {"pid":-1,"message":...}) on the sync fd. It drains the shim's `log`
// FIFO (in the bundle) into --shim-log, the pod's file (when its `start` made the pod's shim, a
// child of it goes on draining after it exits, until the shim exits), runs the shim's `start`
// (a pod's later containers get the running shim's address back), writes the address to
// <state_dir>/shim-address for cloisond, creates the task over ttrpc, writes the pid the shim
// reports to <state_dir>/pidfile (as an OCI runtime's create does: recovery's sign that the
// container was made), starts it on the ctl "start" request and learns the exit from the task
// service's Wait on a second thread. A broken shim connection ends the monitor with exit code
// 255 and a message in the exit file.
#pragma once

#include "cloison/monitor/options.h"

namespace cloison::monitor {

// Runs the whole life of one shim-driven container's monitor; returns the process exit status.
int RunShimMonitor(const MonitorOptions& options);

}  // namespace cloison::monitor
