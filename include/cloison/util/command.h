// Runs a program to completion and captures its output: the way cloisond asks runtime
// binaries questions (`runc features`, create/start/kill/delete) and runs CNI plugins.
#pragma once

#include <spawn.h>

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
// captures stdout and stderr (each up to 16 MiB). The program runs in a process group of its
// own: past `timeout` the whole group is killed (the program and what it forked, unless those
// moved to another group or session) and DEADLINE_EXCEEDED is returned. A program that cannot
// be started gives NOT_FOUND or INTERNAL.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout);

// What a program gets besides its arguments (CNI plugins read their config on stdin and their
// parameters from the environment).
struct CommandInput {
  std::string stdin_data;        // written to the program's stdin, which then reaches end of file
  std::vector<std::string> env;  // "NAME=value", added to cloisond's environment (same NAME replaced)
  std::string cwd;               // the program's working directory; "" = cloisond's
  // What is executed, when not argv[0] (which the program still gets as its argv[0]): e.g. a
  // sealed copy's /proc/self/fd/N.
  std::string program;
};

// As above, with `input`: empty stdin_data still means /dev/null on stdin.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout, const CommandInput& input);

// Whether a spawned child stays in cloisond's process group or leads a new one (pgid = its pid).
enum class ProcessGroup { kInherit, kOwn };

// Starts `program` with `argv`, environment `envp` and the file actions given, with default
// signal dispositions and an empty signal mask in the child, whatever the daemon blocks for
// its own signal handling. Returns the child's pid; the caller reaps it.
absl::StatusOr<pid_t> SpawnWithDefaultSignals(const std::string& program, const std::vector<std::string>& argv,
                                              const posix_spawn_file_actions_t& actions, char* const* envp,
                                              ProcessGroup group = ProcessGroup::kInherit);

// Resolves a program name the way execvp does: names with a '/' are taken as they are,
// others are searched in $PATH. Returns NOT_FOUND when no executable file matches.
absl::StatusOr<std::string> FindExecutable(const std::string& name);

}  // namespace cloison::util
