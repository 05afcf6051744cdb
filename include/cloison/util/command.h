// Runs a program to completion and captures its output: the way cloisond asks runtime
// binaries questions (`runc features`, and later create/start/kill/delete).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cloison::util {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// Runs argv[0] (an absolute path, or a name looked up in $PATH) with argv, no stdin, and
// captures stdout and stderr (each up to 16 MiB). Past `timeout` the process is killed and
// DEADLINE_EXCEEDED is returned. A program that cannot be started gives NOT_FOUND or INTERNAL.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout);

// Resolves a program name the way execvp does: names with a '/' are taken as they are,
// others are searched in $PATH. Returns NOT_FOUND when no executable file matches.
absl::StatusOr<std::string> FindExecutable(const std::string& name);

}  // namespace cloison::util
