#include "cloison/container/container_record.h"

#include "absl/strings/str_cat.h"
#include "cloison/state/record_integers.h"
#include "google/protobuf/util/json_util.h"

namespace cloison::container {
namespace {

const char* StateName(ContainerState state) {
  switch (state) {
    case ContainerState::kCreating:
      return "creating";
    case ContainerState::kCreated:
      return "created";
    case ContainerState::kRunning:
      return "running";
    case ContainerState::kExited:
      return "exited";
  }
  return "exited";
}

ContainerState StateFromName(const std::string& name) {
  if (name == "creating") return ContainerState::kCreating;
  if (name == "created") return ContainerState::kCreated;
  if (name == "running") return ContainerState::kRunning;
  return ContainerState::kExited;
}

}  // namespace

nlohmann::json ContainerRecordToJson(const ContainerRecord& r) {
  std::string config_json;
  (void)google::protobuf::util::MessageToJsonString(r.config, &config_json);
  std::string user_json;
  (void)google::protobuf::util::MessageToJsonString(r.user, &user_json);
  return {{"id", r.id},
          {"podId", r.pod_id},
          {"handler", r.handler},
          {"config", nlohmann::json::parse(config_json, nullptr, false)},
          {"imageName", r.image_name},
          {"imageId", r.image_id},
          {"imageRef", r.image_ref},
          {"state", StateName(r.state)},
          {"createdAt", r.created_at_ns},
          {"startedAt", r.started_at_ns},
          {"finishedAt", r.finished_at_ns},
          {"exitCode", r.exit_code},
          {"reason", r.reason},
          {"message", r.message},
          {"pid", r.pid},
          {"monitorPid", r.monitor_pid},
          {"logPath", r.log_path},
          {"stateDir", r.state_dir},
          {"stopSignal", r.stop_signal},
          {"user", nlohmann::json::parse(user_json, nullptr, false)}};
}

absl::StatusOr<ContainerRecord> ContainerRecordFromJson(const nlohmann::json& j) {
  try {
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.pod_id = j.at("podId").get<std::string>();
    r.handler = j.at("handler").get<std::string>();
    const auto status = google::protobuf::util::JsonStringToMessage(j.at("config").dump(), &r.config);
    if (!status.ok()) return absl::DataLossError(absl::StrCat("container ", r.id, ": bad config: ", status.ToString()));
    r.image_name = j.at("imageName").get<std::string>();
    r.image_id = j.at("imageId").get<std::string>();
    r.image_ref = j.at("imageRef").get<std::string>();
    r.state = StateFromName(j.at("state").get<std::string>());
    state::RecordIntegers integers(j, absl::StrCat("container ", r.id, " record"));
    integers.Read("createdAt", r.created_at_ns);
    integers.Read("startedAt", r.started_at_ns);
    integers.Read("finishedAt", r.finished_at_ns);
    integers.Read("exitCode", r.exit_code);
    integers.Read("pid", r.pid);
    integers.Read("monitorPid", r.monitor_pid);
    integers.Read("stopSignal", r.stop_signal);
    if (!integers.status().ok()) return integers.status();
    r.reason = j.at("reason").get<std::string>();
    r.message = j.at("message").get<std::string>();
    r.log_path = j.at("logPath").get<std::string>();
    r.state_dir = j.at("stateDir").get<std::string>();
    if (j.contains("user")) {  // records written before it was kept have none
      const auto user = google::protobuf::util::JsonStringToMessage(j.at("user").dump(), &r.user);
      if (!user.ok()) return absl::DataLossError(absl::StrCat("container ", r.id, ": bad user: ", user.ToString()));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("container record: ", e.what()));
  }
}

}  // namespace cloison::container
