// The containerd shim v2 task service (ttrpc service "containerd.task.v2.Task") as typed calls
// over a TtrpcClient. Every call carries the namespace in the "containerd-namespace-ttrpc"
// metadata. OCI objects cross as JSON inside google.protobuf.Any with containerd's type URLs
// (set by hand: the bare names, no "type.googleapis.com/" prefix). Errors are the shim's.
// Calls other than Wait give up after 30 s, or 120 s for those that run the OCI runtime
// (Create, Start, Exec, Delete, Update).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloison/shim/ttrpc_client.h"

namespace cloison::shim {

// FIFO paths the shim opens for a process ("" = none). With `terminal`, stdout carries the pty.
struct TaskStdio {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

struct TaskExit {
  uint32_t exit_status = 0;
  int64_t exited_at_ns = 0;
  uint32_t pid = 0;  // Delete only
};

struct TaskState {
  uint32_t pid = 0;
  std::string status;  // "created", "running", "stopped", "paused", "pausing", "unknown"
  uint32_t exit_status = 0;
  int64_t exited_at_ns = 0;
};

struct ShimInfo {
  uint32_t shim_pid = 0;
  uint32_t task_pid = 0;
};

class TaskClient {
 public:
  TaskClient(std::shared_ptr<TtrpcClient> connection, std::string ns);

  // Creates the task from the bundle's config.json (rootfs already in place: no mounts are
  // sent); returns the init pid.
  absl::StatusOr<uint32_t> Create(const std::string& id, const std::string& bundle, const TaskStdio& stdio) const;
  // Starts the task (exec_id "") or an exec'd process; returns its pid.
  absl::StatusOr<uint32_t> Start(const std::string& id, const std::string& exec_id) const;
  absl::Status Kill(const std::string& id, const std::string& exec_id, uint32_t signal, bool all) const;
  // Blocks until the process exits (timeout zero = no limit).
  absl::StatusOr<TaskExit> Wait(const std::string& id, const std::string& exec_id,
                                std::chrono::milliseconds timeout) const;
  absl::StatusOr<TaskExit> Delete(const std::string& id, const std::string& exec_id) const;
  // Adds an exec'd process: `process_json` is an OCI `process` object.
  absl::Status Exec(const std::string& id, const std::string& exec_id, const std::string& process_json,
                    const TaskStdio& stdio) const;
  absl::Status ResizePty(const std::string& id, const std::string& exec_id, uint32_t width, uint32_t height) const;
  // Closes the process's stdin.
  absl::Status CloseStdin(const std::string& id, const std::string& exec_id) const;
  absl::StatusOr<TaskState> State(const std::string& id, const std::string& exec_id) const;
  absl::StatusOr<std::vector<uint32_t>> Pids(const std::string& id) const;
  // `resources_json` is an OCI LinuxResources object.
  absl::Status Update(const std::string& id, const std::string& resources_json) const;
  absl::StatusOr<ShimInfo> Connect(const std::string& id) const;
  // Asks the shim to exit once it holds no task (`now` = at once). A connection that closes
  // instead of answering counts as success: the shim is gone.
  absl::Status Shutdown(const std::string& id, bool now) const;

 private:
  absl::StatusOr<std::string> Call(const char* method, const std::string& payload,
                                   std::chrono::milliseconds timeout) const;

  std::shared_ptr<TtrpcClient> connection_;
  std::string ns_;
};

}  // namespace cloison::shim
