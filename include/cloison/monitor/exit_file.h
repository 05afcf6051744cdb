// The exit file cloison-monitor leaves for cloisond when the container has exited:
// {"exit_code":N,"signal":S,"exited_at":<ns since the epoch>,"oom_killed":bool}, plus
// "message" when the monitor could not observe the exit itself (exit_code 255 then).
// exit_code is the exit status, or 128 + signal when a signal killed the process; signal is 0
// when none did. The file is replaced atomically, so a reader sees it whole or not at all.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::monitor {

struct ExitInfo {
  int exit_code = 0;
  int signal = 0;
  int64_t exited_at_ns = 0;
  bool oom_killed = false;
  std::string message;  // why the exit is unknown; empty for an observed exit
};

// Fills exit_code and signal from a waitpid() status.
ExitInfo ExitInfoFromWaitStatus(int wait_status);

// Fills exit_code and signal from a shell-style status (128 + n is taken as signal n).
ExitInfo ExitInfoFromExitStatus(int exit_status);

// Reads the JSON `<runtime> wait <id>` prints ({"id":..,"exitStatus":N}, N shell-style).
absl::StatusOr<ExitInfo> ExitInfoFromRuntimeWait(absl::string_view output);

std::string ExitInfoJson(const ExitInfo& info);

absl::Status WriteExitFile(const std::string& path, const ExitInfo& info);

}  // namespace cloison::monitor
