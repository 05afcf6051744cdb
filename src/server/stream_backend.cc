#include "cloison/server/stream_backend.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/runtime/socket_dir.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_file.h"
#include "nlohmann/json.hpp"

namespace cloison::server {

absl::StatusOr<container::ContainerRecord> StreamBackend::Running(const std::string& container_id) const {
  absl::StatusOr<container::ContainerRecord> record = containers_.Get(container_id);
  if (!record.ok()) return record.status();
  if (record->state != container::ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container ", record->id, " is not running"));
  }
  return record;
}

absl::StatusOr<streaming::ExecPlan> StreamBackend::PrepareExec(const streaming::ExecRequest& request) {
  absl::StatusOr<container::ContainerRecord> record = Running(request.container_id);
  if (!record.ok()) return record.status();
  absl::StatusOr<nlohmann::json> spec = util::ReadJsonObjectFile(record->state_dir + "/config.json");
  if (!spec.ok()) return spec.status();
  nlohmann::json process = spec->value("process", nlohmann::json::object());
  process["args"] = request.cmd;
  process["terminal"] = request.tty;
  absl::StatusOr<runtime::ResolvedHandler> handler = runtimes_.Resolve(record->handler);
  if (!handler.ok()) return handler.status();

  streaming::ExecPlan plan;
  plan.work_dir = record->state_dir + "/exec-XXXXXX";
  if (mkdtemp(plan.work_dir.data()) == nullptr) {
    return util::SystemCallError("mkdtemp under ", record->state_dir);
  }
  plan.pid_file = plan.work_dir + "/pid";
  absl::StatusOr<std::vector<std::string>> argv = absl::InternalError("unset");
  if (absl::Status s = util::ReplaceFile(plan.work_dir + "/process.json", process.dump()); !s.ok()) {
    argv = s;
  } else {
    argv = handler->runtime->ExecCommand(record->id, plan.work_dir + "/process.json", plan.pid_file);
  }
  if (!argv.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(plan.work_dir, ec);
    return argv.status();
  }
  plan.argv = std::move(*argv);
  return plan;
}

absl::StatusOr<std::string> StreamBackend::AttachSocketDir(const std::string& container_id) {
  absl::StatusOr<container::ContainerRecord> record = Running(container_id);
  if (!record.ok()) return record.status();
  return runtime::MonitorSocketDir(state_dir_, record->id);
}

absl::StatusOr<std::string> StreamBackend::PodNetns(const std::string& pod_id) {
  absl::StatusOr<sandbox::SandboxRecord> record = sandboxes_.Get(pod_id);
  if (!record.ok()) return record.status();
  if (record->state != sandbox::SandboxState::kReady) {
    return absl::FailedPreconditionError(absl::StrCat("pod sandbox ", record->id, " is not ready"));
  }
  return record->host_network ? "" : record->netns_path;
}

}  // namespace cloison::server
