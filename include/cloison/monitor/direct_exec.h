// Direct ExecSync for containers of runc and crun (cloison-monitor --exec --direct-exec
// --bundle DIR): enters the running container without the OCI runtime, as `runc exec` does
// through `runc init`, and applies what runc would (include/cloison/monitor/direct_exec_plan.h):
//   monitor ── fork ─> joiner: PR_SET_DUMPABLE 0; writes itself into each of the init's
//                      cgroup.procs (before entering the mount namespace); setns(pidfd) into
//                      the init's namespaces that differ from the monitor's (user first, the
//                      kernel orders them); clone(CLONE_PARENT) so the exec'd process is the
//                      monitor's child and in the container's PID namespace; exits.
//   exec'd process: default signals, stdio, close-on-exec on every fd above 2, session keyring
//                   "_ses.<id>", oom_score_adj, rlimits, no_new_privs, SELinux exec label,
//                   seccomp (here when no_new_privs is off: it needs CAP_SYS_ADMIN), bounding
//                   set drop, setgroups/setresgid/setresuid keeping capabilities, umask,
//                   chdir(cwd), capset and ambient raise, AppArmor exec profile, seccomp (here
//                   when no_new_privs is on), execve along the spec's PATH.
// Taken only when /proc/self/exe is a memfd sealed against writes (F_SEAL_SEAL, SHRINK, GROW,
// WRITE): the exec'd command may be `#!/proc/self/exe` (CVE-2019-5736), and the monitor must
// not be writable through it. Anything unsupported, an init that is not the container's or is
// gone, or a failure before the command runs (also "not found", which runc reports itself)
// returns a non-OK status with the reason: the caller then runs `<runtime> exec`, which gives
// the answer the runtime gives. The caller reaps the returned pid; stdin is /dev/null.
#pragma once

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "cloison/monitor/options.h"

namespace cloison::monitor {

absl::StatusOr<pid_t> StartDirectExec(const MonitorOptions& options, int stdout_fd, int stderr_fd);

}  // namespace cloison::monitor
