// Exec mode of cloison-monitor (ExecSync): runs `<runtime> exec --process SPEC --pid-file TMP ID`
// in the foreground with stdin from /dev/null, copies its stdout and stderr into the given files
// (each capped at 16 MiB; the rest is read and dropped), and on timeout SIGKILLs the exec'd
// process (the pid the runtime wrote; with --kill-with-runtime first through `<runtime> kill
// --pid`, as runsc needs) and the runtime's exec process, then stops reading after a short
// grace (runsc can keep the pipes open). Prints {"exit_code":N,"timed_out":bool,"direct":bool,
// "fallback":"why not direct"} on stdout;
// exit_code is -1 when timed out. --tty is accepted and ignored (ExecSync has no terminal).
// With --direct-exec the command is started without the runtime when possible
// (cloison/monitor/direct_exec.h; a timeout then SIGKILLs the command itself), and through
// `<runtime> exec` when not.
#pragma once

#include "cloison/monitor/options.h"

namespace cloison::monitor {

// Returns the process exit status: 0 when the command ran (whatever its exit code), 1 when the
// monitor itself failed (the reason goes to stderr).
int RunExec(const MonitorOptions& options);

}  // namespace cloison::monitor
