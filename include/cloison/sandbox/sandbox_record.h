// What cloison knows and persists about one pod sandbox: the CRI config it was asked for, the
// handler it runs with, its state, and every node resource it owns (pinned namespaces, pod
// files, /dev/shm, cgroup, infra container, CNI IPs), so that Stop/Remove and crash recovery can
// release exactly those.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"
#include "nlohmann/json.hpp"

namespace cloison::sandbox {

enum class SandboxState {
  kCreating,  // RunPodSandbox in progress (or interrupted by a crash)
  kReady,
  kNotReady,
};

struct SandboxRecord {
  std::string id;
  ::runtime::v1::PodSandboxConfig config;
  std::string runtime_handler;  // the handler name resolved at creation
  SandboxState state = SandboxState::kCreating;
  int64_t created_at_ns = 0;

  std::string dir;  // <state>/sandboxes/<id>
  bool host_network = false;
  bool host_ipc = false;
  bool host_pid = false;
  std::string netns_path;  // pinned namespaces ("" when host or released)
  std::vector<std::string> pod_ips;  // from CNI ADD, the primary first; none with host network or after DEL
  std::string ipcns_path;
  std::string utsns_path;
  std::string userns_path;    // the pod's own user namespace ("" = the host's)
  std::string pidns_path;     // a shared-PID pod's: its infra container's, pinned ("" otherwise or released)
  std::string shm_path;       // tmpfs mount ("" with host IPC)
  std::string hostname_path;  // pod files
  std::string hosts_path;
  std::string resolv_path;
  std::string cgroup_parent;
  std::vector<std::string> created_cgroups;  // pod cgroup directories cloison made

  std::string infra_container_id;  // "" when the pod has no infra container
  int infra_pid = 0;
  bool infra_running = false;
};

nlohmann::json SandboxRecordToJson(const SandboxRecord& record);
absl::StatusOr<SandboxRecord> SandboxRecordFromJson(const nlohmann::json& json);

}  // namespace cloison::sandbox
