// Compiles the `linux.seccomp` section of an OCI runtime spec into a libseccomp filter, with
// runc's semantics: defaultAction (+ defaultErrnoRet, EPERM when absent), architectures added
// beside the native one, each syscall rule's names/action/errnoRet (EPERM when absent for
// SCMP_ACT_ERRNO and SCMP_ACT_TRACE), args (all in one rule, AND, unless an argument index
// repeats: then one rule per argument, OR), and flags (SECCOMP_FILTER_FLAG_TSYNC, _LOG,
// _SPEC_ALLOW). Rules whose action equals the default are skipped, names unknown to
// libseccomp are ignored (runc: a syscall this kernel does not have). The filter does not set
// no_new_privs itself (the caller applies the spec's noNewPrivileges), so loading it without
// no_new_privs needs CAP_SYS_ADMIN.
// UNIMPLEMENTED for what this monitor does not do and the runtime does (SCMP_ACT_NOTIFY,
// listenerPath, unknown actions, operators, flags or architectures): the caller then leaves
// the exec to the runtime. INVALID_ARGUMENT for a malformed section.
// The compiled program is kept as BPF, so that loading it allocates nothing.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {

struct SeccompFilter {
  std::vector<sock_filter> program;
  unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_*

  // Installs the filter with seccomp(2); returns 0 or -errno. Async-signal-safe.
  int Load() const;
};

// `section` is the spec's linux.seccomp object.
absl::StatusOr<SeccompFilter> CompileSeccomp(const nlohmann::json& section);

}  // namespace cloison::monitor
