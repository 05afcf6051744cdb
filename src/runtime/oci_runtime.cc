#include "cloison/runtime/oci_runtime.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloison/runtime/monitor_launch.h"
#include "cloison/runtime/runsc_quirks.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/command.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"
#include "nlohmann/json.hpp"

namespace cloison::runtime {
namespace {

constexpr std::chrono::seconds kCliTimeout{30};
constexpr size_t kMaxExecOutput = 16 << 20;

bool MeansGone(absl::string_view message) {
  return absl::StrContains(message, "does not exist") || absl::StrContains(message, "not running") ||
         absl::StrContains(message, "container not found") || absl::StrContains(message, "no such process");
}

std::string Trimmed(const util::CommandResult& result) {
  return std::string(absl::StripAsciiWhitespace(result.stderr_text.empty() ? result.stdout_text : result.stderr_text));
}

absl::StatusOr<std::string> ReadCapped(const std::string& path) {
  absl::StatusOr<std::string> content = util::ReadFile(path);
  if (content.ok() && content->size() > kMaxExecOutput) content->resize(kMaxExecOutput);
  return content;
}

absl::StatusOr<ExitRecord> ExitRecordOf(const nlohmann::json& doc, absl::string_view where) {
  ExitRecord record;
  absl::StatusOr<int> exit_code = util::IntegerFieldAs<int>(doc, "exit_code", where, -1);
  absl::StatusOr<int> signal = util::IntegerFieldAs<int>(doc, "signal", where, 0);
  absl::StatusOr<int64_t> exited_at = util::IntegerField(doc, "exited_at", where, 0);
  absl::StatusOr<bool> oom_killed = util::BoolField(doc, "oom_killed", where, false);
  for (const absl::Status& status : {exit_code.status(), signal.status(), exited_at.status(), oom_killed.status()}) {
    if (!status.ok()) return status;
  }
  record.exit_code = *exit_code;
  record.signal = *signal;
  record.exited_at_ns = *exited_at;
  record.oom_killed = *oom_killed;
  return record;
}

}  // namespace

absl::StatusOr<ExitRecord> ReadExitFile(const std::string& path) {
  absl::StatusOr<nlohmann::json> doc = util::ReadJsonObjectFile(path);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<ExitRecord> record = ExitRecordOf(*doc, absl::StrCat("exit file ", path));
  // A field of the wrong type is a damaged file, as is content that is no JSON object.
  if (!record.ok()) return absl::DataLossError(record.status().message());
  return record;
}

OciRuntimeOptions OciOptionsForHandler(const HandlerInfo& handler, bool systemd_cgroup) {
  OciRuntimeOptions options;
  options.programs = ProgramsForHandler(handler);
  options.global_args.push_back(absl::StrCat("--root=", handler.config.runtime_root));
  if (systemd_cgroup) options.global_args.push_back("--systemd-cgroup");
  options.global_args.insert(options.global_args.end(), handler.config.runtime_args.begin(),
                             handler.config.runtime_args.end());
  if (IsRunsc(handler)) {
    // The spec's seccomp profile is only applied inside the sandbox with --oci-seccomp.
    if (std::find(options.global_args.begin(), options.global_args.end(), "--oci-seccomp") == options.global_args.end()) {
      options.global_args.push_back("--oci-seccomp");
    }
    options.stdio_at_start = true;
    options.wait_with_runtime = true;
    options.kill_exec_with_runtime = true;
  } else {
    options.create_at_start = true;
    options.direct_exec_sync = handler.config.direct_exec_sync;
  }
  return options;
}

OciRuntime::OciRuntime(OciRuntimeOptions options) : options_(std::move(options)) {}

std::vector<std::string> OciRuntime::RuntimeCommand(std::initializer_list<std::string> subcommand) const {
  std::vector<std::string> argv = {options_.programs.runtime_path};
  argv.insert(argv.end(), options_.global_args.begin(), options_.global_args.end());
  argv.insert(argv.end(), subcommand.begin(), subcommand.end());
  return argv;
}

std::vector<std::string> OciRuntime::MonitorRuntimeArgs() const {
  std::vector<std::string> args = {"--runtime", options_.programs.runtime_path};
  for (const std::string& arg : options_.global_args) {
    args.push_back("--runtime-arg");
    args.push_back(arg);
  }
  return args;
}

absl::StatusOr<CreateResult> OciRuntime::LaunchMonitor(const CreateRequest& request, bool run) {
  std::vector<std::string> argv = {options_.programs.monitor_path};
  const std::vector<std::string> flags = MonitorContainerFlags(request);
  const std::vector<std::string> runtime_args = MonitorRuntimeArgs();
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), runtime_args.begin(), runtime_args.end());
  argv.insert(argv.end(), {"--create-timeout", std::to_string(kRuntimeCreateTimeout.count())});
  if (run) argv.push_back("--run");
  if (options_.stdio_at_start) argv.push_back("--stdio-at-start");
  if (options_.wait_with_runtime) argv.push_back("--wait-with-runtime");
  return LaunchContainerMonitor(argv, request, absl::StrCat(options_.programs.runtime_path, run ? " run" : " create"));
}

absl::StatusOr<CreateResult> OciRuntime::Create(const CreateRequest& request) {
  if (options_.create_at_start) return CreateResult{};
  return LaunchMonitor(request, false);
}

absl::StatusOr<CreateResult> OciRuntime::Start(const CreateRequest& request) {
  if (options_.create_at_start) return LaunchMonitor(request, true);
  if (absl::Status s = StartThroughMonitor(request, options_.programs.runtime_path); !s.ok()) return s;
  return CreateResult{};
}

absl::Status OciRuntime::Kill(const std::string& id, int signal) {
  absl::StatusOr<util::CommandResult> result =
      util::RunCommand(RuntimeCommand({"kill", id, std::to_string(signal)}), kCliTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0 || MeansGone(Trimmed(*result)) || StateOf(id) == KnownState::kStopped) {
    return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat(options_.programs.runtime_path, " kill ", id, ": ", Trimmed(*result)));
}

OciRuntime::KnownState OciRuntime::StateOf(const std::string& id) const {
  absl::StatusOr<util::CommandResult> result = util::RunCommand(RuntimeCommand({"state", id}), kCliTimeout);
  if (!result.ok()) return KnownState::kUnclear;
  if (result->exit_code != 0) return MeansGone(Trimmed(*result)) ? KnownState::kGone : KnownState::kUnclear;
  const nlohmann::json state = nlohmann::json::parse(result->stdout_text, nullptr, false);
  const std::string status = util::StringField(state, "status", "runtime state").value_or("");
  if (status == "stopped") return KnownState::kStopped;
  return status.empty() ? KnownState::kUnclear : KnownState::kLive;
}

absl::Status OciRuntime::ForceDelete(const std::string& id) {
  absl::StatusOr<util::CommandResult> result = util::RunCommand(RuntimeCommand({"delete", "--force", id}), kCliTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0 || MeansGone(Trimmed(*result))) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(options_.programs.runtime_path, " delete ", id, ": ", Trimmed(*result)));
}

// runsc's delete --force fails, after it removed the container from its state, when the sandbox
// dies during it (the sandbox's urpc connection resets) or when a killed sandbox or gofer stays a
// zombie for the 5 s it waits (kill(pid, 0) succeeds on a zombie; their reaper is cloison-monitor
// or, once that exited, init, which may reap later than that). The state then tells.
absl::Status OciRuntime::Delete(const std::string& id) {
  const absl::Status deleted = ForceDelete(id);
  if (deleted.ok()) return deleted;
  switch (StateOf(id)) {
    case KnownState::kGone:
      spdlog::info("{} delete {} failed ({}), but the runtime no longer knows the container",
                   options_.programs.runtime_path, id, std::string(deleted.message()));
      return absl::OkStatus();
    case KnownState::kStopped:
      return ForceDelete(id);
    case KnownState::kLive:
    case KnownState::kUnclear:
      break;
  }
  return deleted;
}

absl::StatusOr<ExecResult> OciRuntime::ExecSync(const std::string& id, const std::string& state_dir,
                                                const std::string& process_json, std::chrono::seconds timeout) {
  std::string dir = state_dir + "/exec-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return util::SystemCallError("mkdtemp ", dir);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  if (absl::Status s = util::ReplaceFile(dir + "/process.json", process_json); !s.ok()) return s;
  std::vector<std::string> argv = {options_.programs.monitor_path, "--exec", "--id", id};
  const std::vector<std::string> runtime_args = MonitorRuntimeArgs();
  argv.insert(argv.end(), runtime_args.begin(), runtime_args.end());
  argv.insert(argv.end(), {"--process-spec", dir + "/process.json", "--stdout-file", dir + "/stdout",
                           "--stderr-file", dir + "/stderr", "--timeout", std::to_string(timeout.count())});
  if (options_.kill_exec_with_runtime) argv.push_back("--kill-with-runtime");
  if (options_.direct_exec_sync) argv.insert(argv.end(), {"--direct-exec", "--bundle", state_dir});
  absl::StatusOr<std::shared_ptr<const util::SealedCopy>> monitor = SealedMonitor(options_.programs.monitor_path);
  if (!monitor.ok()) return monitor.status();
  util::CommandInput input;
  input.program = (*monitor)->ExecPath();
  // The monitor enforces `timeout`; this bound only guards against a stuck monitor.
  const auto guard = timeout.count() > 0 ? timeout + std::chrono::seconds(30) : std::chrono::hours(24 * 365);
  absl::StatusOr<util::CommandResult> run =
      util::RunCommand(argv, std::chrono::duration_cast<std::chrono::milliseconds>(guard), input);
  if (!run.ok()) return run.status();
  const nlohmann::json doc = nlohmann::json::parse(run->stdout_text, nullptr, false);
  if (run->exit_code != 0 || !doc.is_object()) {
    return absl::InternalError(absl::StrCat("exec in ", id, " failed: ", Trimmed(*run)));
  }
  ExecResult result;
  const std::string where = absl::StrCat("exec in ", id, ": the monitor's report");
  absl::StatusOr<int> exit_code = util::IntegerFieldAs<int>(doc, "exit_code", where, -1);
  absl::StatusOr<bool> timed_out = util::BoolField(doc, "timed_out", where, false);
  if (!exit_code.ok() || !timed_out.ok()) {
    return absl::InternalError((exit_code.ok() ? timed_out.status() : exit_code.status()).message());
  }
  result.exit_code = *exit_code;
  result.timed_out = *timed_out;
  if (options_.direct_exec_sync) {
    spdlog::debug("ExecSync in {}: {}", id,
                  util::BoolField(doc, "direct", where).value_or(false)
                      ? "direct"
                      : "through the runtime: " + util::StringField(doc, "fallback", where).value_or(""));
  }
  absl::StatusOr<std::string> out = ReadCapped(dir + "/stdout");
  absl::StatusOr<std::string> err = ReadCapped(dir + "/stderr");
  if (out.ok()) result.stdout_bytes = std::move(*out);
  if (err.ok()) result.stderr_bytes = std::move(*err);
  return result;
}

absl::StatusOr<std::vector<std::string>> OciRuntime::ExecCommand(const std::string& id,
                                                                 const std::string& process_file,
                                                                 const std::string& pid_file) const {
  return RuntimeCommand({"exec", "--process", process_file, "--pid-file", pid_file, id});
}

absl::Status OciRuntime::ReopenLog(const CreateRequest& request) { return ReopenLogThroughMonitor(request); }

absl::Status OciRuntime::Update(const std::string& id, const std::string& state_dir,
                                const std::string& resources_json) {
  const std::string file = state_dir + "/resources.json";
  if (absl::Status s = util::ReplaceFile(file, resources_json); !s.ok()) return s;
  absl::StatusOr<util::CommandResult> result =
      util::RunCommand(RuntimeCommand({"update", "--resources", file, id}), kCliTimeout);
  unlink(file.c_str());
  if (!result.ok()) return result.status();
  if (result->exit_code == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(options_.programs.runtime_path, " update ", id, ": ", Trimmed(*result)));
}

}  // namespace cloison::runtime
