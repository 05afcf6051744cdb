// What the container and sandbox managers need from a runtime handler, whatever drives it
// (an OCI runtime CLI under cloison-monitor, or a shim v2 for "vm" handlers). One instance
// per handler; thread-safe; every call is about one container id.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cloison::runtime {

struct CreateRequest {
  std::string id;
  std::string bundle;        // holds config.json
  std::string state_dir;     // per-container runtime state: monitor pid and log
  std::string pod_state_dir; // the pod's state dir, removed with the pod: pod-level runtime
                             // files (a vm handler's shim.log); needed by Create only
  std::string socket_dir;    // the monitor's ctl and attach sockets (a short path: sun_path
                             // holds 107 bytes)
  std::string exit_file;     // where the monitor records the exit
  std::string log_path;      // CRI log file ("" = /dev/null)
  bool tty = false;
  bool stdin = false;
  bool stdin_once = false;
};

// What Create or Start made: 0s when it made no process (a runtime that creates the container
// at Start returns 0s from Create; one that creates it at Create returns 0s from Start).
struct CreateResult {
  int pid = 0;          // the container's init process
  int monitor_pid = 0;  // its cloison-monitor
};

struct ExecResult {
  int exit_code = 0;
  bool timed_out = false;
  std::string stdout_bytes;
  std::string stderr_bytes;
};

// The exit the monitor recorded.
struct ExitRecord {
  int exit_code = 0;
  int signal = 0;
  int64_t exited_at_ns = 0;
  bool oom_killed = false;
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Prepares the container. A runtime may create it in the runtime right away (the result
  // has its pid) or leave that to Start (pid 0: nothing of the container exists in the runtime
  // until Start, so there is nothing to kill, exec into or update before it).
  virtual absl::StatusOr<CreateResult> Create(const CreateRequest& request) = 0;
  // Starts the container's process; when Create left the creation to it, creates it first and
  // returns its pid and monitor pid.
  virtual absl::StatusOr<CreateResult> Start(const CreateRequest& request) = 0;
  // Signals the container's init process. A container that is gone already is not an error.
  virtual absl::Status Kill(const std::string& id, int signal) = 0;
  // Removes the runtime's state of the container (force-kills a live one).
  virtual absl::Status Delete(const std::string& id) = 0;
  // Runs the OCI `process` (JSON) inside the container; `timeout` zero = none. Output is
  // capped at 16 MiB per stream. A timeout kills the process and sets timed_out.
  virtual absl::StatusOr<ExecResult> ExecSync(const std::string& id, const std::string& state_dir,
                                              const std::string& process_json,
                                              std::chrono::seconds timeout) = 0;
  // Asks the monitor to reopen the container's log file.
  virtual absl::Status ReopenLog(const CreateRequest& request) = 0;
  // The command line that runs the OCI process in `process_file` (JSON) inside container `id`
  // in the foreground, its stdio and exit code being the process's, and writes the process's
  // host pid to `pid_file`: what an interactive exec (the streaming server) spawns.
  virtual absl::StatusOr<std::vector<std::string>> ExecCommand(const std::string& id, const std::string& process_file,
                                                               const std::string& pid_file) const = 0;
  // Applies new cgroup limits to a live container: `resources_json` is an OCI LinuxResources
  // object; `state_dir` is the container's, where a scratch file may go.
  virtual absl::Status Update(const std::string& id, const std::string& state_dir,
                              const std::string& resources_json) = 0;
};

// Reads an exit file written by cloison-monitor; NOT_FOUND while there is none.
absl::StatusOr<ExitRecord> ReadExitFile(const std::string& path);

}  // namespace cloison::runtime
