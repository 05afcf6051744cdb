// Pid files (a runtime's --pid-file, cloison-monitor's monitor.pid): a decimal pid, maybe
// followed by a newline.
#pragma once

#include <sys/types.h>

#include <string>

namespace cloison::util {

// The pid in the file at `path`; 0 when the file is missing, unreadable or holds no pid above 0.
pid_t ReadPidFile(const std::string& path);

}  // namespace cloison::util
