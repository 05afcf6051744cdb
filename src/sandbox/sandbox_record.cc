#include "cloison/sandbox/sandbox_record.h"

#include "absl/strings/str_cat.h"
#include "cloison/state/record_integers.h"
#include "google/protobuf/util/json_util.h"

namespace cloison::sandbox {
namespace {

const char* StateName(SandboxState state) {
  switch (state) {
    case SandboxState::kCreating:
      return "creating";
    case SandboxState::kReady:
      return "ready";
    case SandboxState::kNotReady:
      return "notready";
  }
  return "notready";
}

SandboxState StateFromName(const std::string& name) {
  if (name == "creating") return SandboxState::kCreating;
  if (name == "ready") return SandboxState::kReady;
  return SandboxState::kNotReady;
}

}  // namespace

nlohmann::json SandboxRecordToJson(const SandboxRecord& r) {
  std::string config_json;
  (void)google::protobuf::util::MessageToJsonString(r.config, &config_json);
  return {{"id", r.id},
          {"config", nlohmann::json::parse(config_json, nullptr, false)},
          {"runtimeHandler", r.runtime_handler},
          {"state", StateName(r.state)},
          {"createdAt", r.created_at_ns},
          {"dir", r.dir},
          {"hostNetwork", r.host_network},
          {"hostIpc", r.host_ipc},
          {"hostPid", r.host_pid},
          {"netns", r.netns_path},
          {"podIps", r.pod_ips},
          {"ipcns", r.ipcns_path},
          {"utsns", r.utsns_path},
          {"userns", r.userns_path},
          {"pidns", r.pidns_path},
          {"shm", r.shm_path},
          {"hostnameFile", r.hostname_path},
          {"hostsFile", r.hosts_path},
          {"resolvFile", r.resolv_path},
          {"cgroupParent", r.cgroup_parent},
          {"createdCgroups", r.created_cgroups},
          {"infraContainerId", r.infra_container_id},
          {"infraPid", r.infra_pid},
          {"infraRunning", r.infra_running}};
}

absl::StatusOr<SandboxRecord> SandboxRecordFromJson(const nlohmann::json& j) {
  try {
    SandboxRecord r;
    r.id = j.at("id").get<std::string>();
    const auto status = google::protobuf::util::JsonStringToMessage(j.at("config").dump(), &r.config);
    if (!status.ok()) return absl::DataLossError(absl::StrCat("sandbox ", r.id, ": bad config: ", status.ToString()));
    r.runtime_handler = j.at("runtimeHandler").get<std::string>();
    r.state = StateFromName(j.at("state").get<std::string>());
    state::RecordIntegers integers(j, absl::StrCat("sandbox ", r.id, " record"));
    integers.Read("createdAt", r.created_at_ns);
    integers.Read("infraPid", r.infra_pid);
    if (!integers.status().ok()) return integers.status();
    r.dir = j.at("dir").get<std::string>();
    r.host_network = j.at("hostNetwork").get<bool>();
    r.host_ipc = j.at("hostIpc").get<bool>();
    r.host_pid = j.at("hostPid").get<bool>();
    r.netns_path = j.at("netns").get<std::string>();
    r.pod_ips = j.value("podIps", std::vector<std::string>());  // absent in records from before CNI
    r.ipcns_path = j.at("ipcns").get<std::string>();
    r.utsns_path = j.at("utsns").get<std::string>();
    r.userns_path = j.value("userns", "");  // absent in records from before user namespaces
    r.pidns_path = j.value("pidns", "");    // absent in records from before the PID namespace pin
    r.shm_path = j.at("shm").get<std::string>();
    r.hostname_path = j.at("hostnameFile").get<std::string>();
    r.hosts_path = j.at("hostsFile").get<std::string>();
    r.resolv_path = j.at("resolvFile").get<std::string>();
    r.cgroup_parent = j.at("cgroupParent").get<std::string>();
    r.created_cgroups = j.at("createdCgroups").get<std::vector<std::string>>();
    r.infra_container_id = j.at("infraContainerId").get<std::string>();
    r.infra_running = j.at("infraRunning").get<bool>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("sandbox record: ", e.what()));
  }
}

}  // namespace cloison::sandbox
