// What cloison does differently when a handler's OCI runtime is gVisor's runsc (recognised by
// the binary's file name): it takes the container's stdio at `start` and reports exits through
// `runsc wait` (see oci_runtime.h), loads OCI seccomp profiles inside the sandbox
// (--oci-seccomp), and must only be given the capabilities it knows.
#pragma once

#include <string>
#include <vector>

#include "cloison/runtime/handler_table.h"

namespace cloison::runtime {

// True when the handler's resolved runtime binary is named runsc.
bool IsRunsc(const HandlerInfo& handler);

// The capabilities a container of this handler may be granted, out of those the daemon
// holds: all of them, except for runsc, which refuses the ones it does not know (Debian 12's
// runsc knows none after CAP_AUDIT_READ: not CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE).
std::vector<std::string> GrantableCapabilities(const HandlerInfo& handler, const std::vector<std::string>& held);

}  // namespace cloison::runtime
