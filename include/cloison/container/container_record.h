// What cloison knows and persists about one container: the CRI config it was created with,
// its pod, handler and image, its lifecycle state and timestamps, exit status, and where its
// bundle, state and log live.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"
#include "nlohmann/json.hpp"

namespace cloison::container {

enum class ContainerState {
  kCreating,  // CreateContainer in progress (or interrupted by a crash)
  kCreated,
  kRunning,
  kExited,
};

struct ContainerRecord {
  std::string id;
  std::string pod_id;
  std::string handler;
  ::runtime::v1::ContainerConfig config;
  std::string image_name;  // the name shown to kubelet (shown_image.h); records written before
                           // it was chosen hold config.image.image
  std::string image_id;    // the image's id (config digest)
  std::string image_ref;   // a repo digest when the image has one, else the id
  ContainerState state = ContainerState::kCreating;
  int64_t created_at_ns = 0;
  int64_t started_at_ns = 0;
  int64_t finished_at_ns = 0;
  int32_t exit_code = 0;
  std::string reason;   // Completed, Error, OOMKilled
  std::string message;
  int pid = 0;
  int monitor_pid = 0;
  std::string log_path;   // absolute ("" when kubelet asked for none)
  std::string state_dir;  // <state>/containers/<id>: bundle, monitor sockets
  int stop_signal = 15;
  ::runtime::v1::LinuxContainerUser user;  // uid, gid and groups of the first process, at create
};

nlohmann::json ContainerRecordToJson(const ContainerRecord& record);
absl::StatusOr<ContainerRecord> ContainerRecordFromJson(const nlohmann::json& json);

}  // namespace cloison::container
