#include "cloison/shim/task_client.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "containerd/task/v2/shim.pb.h"

namespace cloison::shim {
namespace {

constexpr char kTaskService[] = "containerd.task.v2.Task";
constexpr char kNamespaceKey[] = "containerd-namespace-ttrpc";
constexpr char kProcessTypeUrl[] = "types.containerd.io/opencontainers/runtime-spec/1/Process";
constexpr char kResourcesTypeUrl[] = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
// Short calls; Create and Exec start runc, which can take a while on a loaded machine.
constexpr std::chrono::milliseconds kCallTimeout{std::chrono::seconds(30)};
constexpr std::chrono::milliseconds kRuncCallTimeout{std::chrono::seconds(120)};

// A shim's time in ns since the epoch. The shim is another project's binary: a time past
// int64's nanoseconds (some 292 years from 1970) saturates rather than overflowing.
int64_t Nanos(const cloison::wire::Timestamp& ts) {
  int64_t nanos = 0;
  if (__builtin_mul_overflow(ts.seconds(), int64_t{1000000000}, &nanos) ||
      __builtin_add_overflow(nanos, int64_t{ts.nanos()}, &nanos)) {
    return ts.seconds() < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return nanos;
}

template <typename Message>
absl::StatusOr<Message> Parse(const absl::StatusOr<std::string>& payload, const char* method) {
  if (!payload.ok()) return payload.status();
  Message message;
  if (!message.ParseFromString(*payload)) {
    return absl::InternalError(absl::StrCat("shim ", method, ": undecodable response"));
  }
  return message;
}

std::string StatusName(containerd::v1::types::Status status) {
  switch (status) {
    case containerd::v1::types::CREATED: return "created";
    case containerd::v1::types::RUNNING: return "running";
    case containerd::v1::types::STOPPED: return "stopped";
    case containerd::v1::types::PAUSED: return "paused";
    case containerd::v1::types::PAUSING: return "pausing";
    default: return "unknown";
  }
}

}  // namespace

TaskClient::TaskClient(std::shared_ptr<TtrpcClient> connection, std::string ns)
    : connection_(std::move(connection)), ns_(std::move(ns)) {}

absl::StatusOr<std::string> TaskClient::Call(const char* method, const std::string& payload,
                                             std::chrono::milliseconds timeout) const {
  return connection_->Call(kTaskService, method, payload, timeout, {{kNamespaceKey, ns_}});
}

absl::StatusOr<uint32_t> TaskClient::Create(const std::string& id, const std::string& bundle,
                                            const TaskStdio& stdio) const {
  containerd::task::v2::CreateTaskRequest request;
  request.set_id(id);
  request.set_bundle(bundle);
  request.set_terminal(stdio.terminal);
  request.set_stdin(stdio.stdin_path);
  request.set_stdout(stdio.stdout_path);
  request.set_stderr(stdio.stderr_path);
  auto response = Parse<containerd::task::v2::CreateTaskResponse>(
      Call("Create", request.SerializeAsString(), kRuncCallTimeout), "Create");
  if (!response.ok()) return response.status();
  return response->pid();
}

absl::StatusOr<uint32_t> TaskClient::Start(const std::string& id, const std::string& exec_id) const {
  containerd::task::v2::StartRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = Parse<containerd::task::v2::StartResponse>(
      Call("Start", request.SerializeAsString(), kRuncCallTimeout), "Start");
  if (!response.ok()) return response.status();
  return response->pid();
}

absl::Status TaskClient::Kill(const std::string& id, const std::string& exec_id, uint32_t signal, bool all) const {
  containerd::task::v2::KillRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_signal(signal);
  request.set_all(all);
  return Call("Kill", request.SerializeAsString(), kCallTimeout).status();
}

absl::StatusOr<TaskExit> TaskClient::Wait(const std::string& id, const std::string& exec_id,
                                          std::chrono::milliseconds timeout) const {
  containerd::task::v2::WaitRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = Parse<containerd::task::v2::WaitResponse>(Call("Wait", request.SerializeAsString(), timeout), "Wait");
  if (!response.ok()) return response.status();
  return TaskExit{response->exit_status(), Nanos(response->exited_at()), 0};
}

absl::StatusOr<TaskExit> TaskClient::Delete(const std::string& id, const std::string& exec_id) const {
  containerd::task::v2::DeleteRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = Parse<containerd::task::v2::DeleteResponse>(
      Call("Delete", request.SerializeAsString(), kRuncCallTimeout), "Delete");
  if (!response.ok()) return response.status();
  return TaskExit{response->exit_status(), Nanos(response->exited_at()), response->pid()};
}

absl::Status TaskClient::Exec(const std::string& id, const std::string& exec_id, const std::string& process_json,
                              const TaskStdio& stdio) const {
  containerd::task::v2::ExecProcessRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_terminal(stdio.terminal);
  request.set_stdin(stdio.stdin_path);
  request.set_stdout(stdio.stdout_path);
  request.set_stderr(stdio.stderr_path);
  request.mutable_spec()->set_type_url(kProcessTypeUrl);
  request.mutable_spec()->set_value(process_json);
  return Call("Exec", request.SerializeAsString(), kRuncCallTimeout).status();
}

absl::Status TaskClient::ResizePty(const std::string& id, const std::string& exec_id, uint32_t width,
                                   uint32_t height) const {
  containerd::task::v2::ResizePtyRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_width(width);
  request.set_height(height);
  return Call("ResizePty", request.SerializeAsString(), kCallTimeout).status();
}

absl::Status TaskClient::CloseStdin(const std::string& id, const std::string& exec_id) const {
  containerd::task::v2::CloseIORequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_stdin(true);
  return Call("CloseIO", request.SerializeAsString(), kCallTimeout).status();
}

absl::StatusOr<TaskState> TaskClient::State(const std::string& id, const std::string& exec_id) const {
  containerd::task::v2::StateRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = Parse<containerd::task::v2::StateResponse>(
      Call("State", request.SerializeAsString(), kCallTimeout), "State");
  if (!response.ok()) return response.status();
  return TaskState{response->pid(), StatusName(response->status()), response->exit_status(),
                   Nanos(response->exited_at())};
}

absl::StatusOr<std::vector<uint32_t>> TaskClient::Pids(const std::string& id) const {
  containerd::task::v2::PidsRequest request;
  request.set_id(id);
  auto response = Parse<containerd::task::v2::PidsResponse>(
      Call("Pids", request.SerializeAsString(), kCallTimeout), "Pids");
  if (!response.ok()) return response.status();
  std::vector<uint32_t> pids;
  for (const auto& process : response->processes()) pids.push_back(process.pid());
  return pids;
}

absl::Status TaskClient::Update(const std::string& id, const std::string& resources_json) const {
  containerd::task::v2::UpdateTaskRequest request;
  request.set_id(id);
  request.mutable_resources()->set_type_url(kResourcesTypeUrl);
  request.mutable_resources()->set_value(resources_json);
  return Call("Update", request.SerializeAsString(), kRuncCallTimeout).status();
}

absl::StatusOr<ShimInfo> TaskClient::Connect(const std::string& id) const {
  containerd::task::v2::ConnectRequest request;
  request.set_id(id);
  auto response = Parse<containerd::task::v2::ConnectResponse>(
      Call("Connect", request.SerializeAsString(), kCallTimeout), "Connect");
  if (!response.ok()) return response.status();
  return ShimInfo{response->shim_pid(), response->task_pid()};
}

absl::Status TaskClient::Shutdown(const std::string& id, bool now) const {
  containerd::task::v2::ShutdownRequest request;
  request.set_id(id);
  request.set_now(now);
  absl::Status status = Call("Shutdown", request.SerializeAsString(), kCallTimeout).status();
  // A shim that exits at once may close the connection before it answers.
  if (absl::IsUnavailable(status)) return absl::OkStatus();
  return status;
}

}  // namespace cloison::shim
