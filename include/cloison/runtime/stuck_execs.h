// A SIGKILLed runc container whose init cannot exit: runc 1.1.5's `exec`, caught starting at
// that moment, keeps a zombie `runc:[2:INIT]` in the container's pid namespace and never reaps
// it, so the container's init waits for it for ever (the kernel's zap_pid_ns_processes) and
// the container never exits. Killing that `exec` frees it. KillRuntimeExecs SIGKILLs every
// runtime `exec` process working on the container whose state dir is `state_dir`: a process
// whose arguments hold the subcommand "exec" and a process file under `<state_dir>/exec-`
// (oci_runtime.h, the monitor's exec runner and the streaming execs name theirs so). The
// monitor (`--exec`) and the exec'd commands are not such processes.
#pragma once

#include <string>

namespace cloison::runtime {

// Returns how many processes were sent SIGKILL.
int KillRuntimeExecs(const std::string& state_dir);

}  // namespace cloison::runtime
