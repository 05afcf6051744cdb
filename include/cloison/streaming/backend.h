// What the streaming server needs from the managers, answered when a client connects (the
// container may have stopped since the RPC): how to run an exec, where a container's monitor
// listens for attach, which network namespace a pod has. Implemented by the server module.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/streaming/stream_request.h"

namespace cloison::streaming {

struct ExecPlan {
  // Runs the command in the container in the foreground: its stdio is the command's, its exit
  // code the command's. With tty it expects a terminal as stdio (it copies that terminal's size
  // to the container's on SIGWINCH).
  std::vector<std::string> argv;
  std::string work_dir;  // removed when the exec ends
  std::string pid_file;  // where the runtime writes the command's host pid
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual absl::StatusOr<ExecPlan> PrepareExec(const ExecRequest& request) = 0;
  // The directory of the container's monitor sockets (`attach`, `ctl`).
  virtual absl::StatusOr<std::string> AttachSocketDir(const std::string& container_id) = 0;
  // The pod's pinned network namespace; "" for a pod on the host network.
  virtual absl::StatusOr<std::string> PodNetns(const std::string& pod_id) = 0;
};

}  // namespace cloison::streaming
