// The streaming server's view of the managers: an exec's command line (the container's OCI
// process with the requested command and terminal, run by its handler's runtime), a running
// container's monitor sockets for attach, a ready pod's network namespace for port forwarding.
#pragma once

#include <string>

#include "cloison/container/container_manager.h"
#include "cloison/runtime/runtime_set.h"
#include "cloison/sandbox/sandbox_manager.h"
#include "cloison/streaming/backend.h"

namespace cloison::server {

class StreamBackend final : public streaming::Backend {
 public:
  StreamBackend(std::string state_dir, container::ContainerManager& containers, sandbox::SandboxManager& sandboxes,
                runtime::RuntimeSet& runtimes)
      : state_dir_(std::move(state_dir)), containers_(containers), sandboxes_(sandboxes), runtimes_(runtimes) {}

  absl::StatusOr<streaming::ExecPlan> PrepareExec(const streaming::ExecRequest& request) override;
  absl::StatusOr<std::string> AttachSocketDir(const std::string& container_id) override;
  absl::StatusOr<std::string> PodNetns(const std::string& pod_id) override;

 private:
  absl::StatusOr<container::ContainerRecord> Running(const std::string& container_id) const;

  std::string state_dir_;
  container::ContainerManager& containers_;
  sandbox::SandboxManager& sandboxes_;
  runtime::RuntimeSet& runtimes_;
};

}  // namespace cloison::server
