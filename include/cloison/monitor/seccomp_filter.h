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
// The program is exported to BPF here, in the monitor, before the direct exec forks: whatever
// fails (libseccomp, a program longer than the kernel takes) fails while the exec can still go
// through the runtime instead, and Load() in the exec'd process is one seccomp(2) call, without
// libseccomp. That Load() allocates nothing is not what makes the fork safe: the --exec monitor
// is single-threaded, so no other thread can hold a lock (malloc's) across its fork, and its
// children do allocate (direct_exec.cc builds strings, argv and envp). What matters there is
// what runs once the filter is in place, as it then judges the exec'd process's own system
// calls: after Load() nothing (with no_new_privs, it comes last) but execve, where libseccomp's
// seccomp_load would still free the program it generated around that call.
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
