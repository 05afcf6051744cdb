#include "check_handlers.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/runtime/handler_table.h"
#include "cloison/runtime/oci_runtime.h"
#include "cloison/runtime/socket_dir.h"
#include "cloison/runtime/vm_runtime.h"
#include "cloison/sandbox/pause_rootfs.h"
#include "cloison/shim/events_server.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/command.h"
#include "cloison/util/ids.h"
#include "cloison/util/unix_socket.h"
#include "nlohmann/json.hpp"

namespace cloison::cloisond {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kRunTimeout{60};

// A container that runs `/pause -v` in new PID, IPC, UTS and mount namespaces, read-only.
nlohmann::json ThrowawaySpec(const std::string& rootfs) {
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"/pause", "-v"}},
        {"env", {"PATH=/"}},
        {"cwd", "/"},
        {"noNewPrivileges", true}}},
      {"root", {{"path", rootfs}, {"readonly", true}}},
      {"hostname", "cloison-check"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "mode=755"}}}}},
      {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}}}}},
  };
}

// Runs the throwaway container with `<runtime> run`; returns what happened, or the failure.
absl::StatusOr<std::string> RunThrowaway(const runtime::HandlerInfo& handler, const std::string& scratch,
                                         const std::string& pause_binary, bool systemd_cgroup) {
  const std::string bundle = absl::StrCat(scratch, "/", handler.config.name);
  const std::string rootfs = bundle + "/rootfs";
  if (absl::Status s = util::MakeDirs(handler.config.runtime_root, 0700); !s.ok()) return s;
  if (absl::Status s = sandbox::BuildPauseRootfs(pause_binary, rootfs); !s.ok()) return s;
  if (absl::Status s = util::WriteFileAtomically(bundle + "/config.json", ThrowawaySpec(rootfs).dump()); !s.ok()) {
    return s;
  }
  const runtime::OciRuntimeOptions options = runtime::OciOptionsForHandler(handler, systemd_cgroup);
  const std::string id = absl::StrCat("cloison-check-", util::NewObjectId().substr(0, 12));
  auto command = [&](std::initializer_list<std::string> subcommand) {
    std::vector<std::string> argv = {options.programs.runtime_path};
    argv.insert(argv.end(), options.global_args.begin(), options.global_args.end());
    argv.insert(argv.end(), subcommand);
    return argv;
  };
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<util::CommandResult> run = util::RunCommand(command({"run", "--bundle", bundle, id}), kRunTimeout);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  (void)util::RunCommand(command({"delete", "--force", id}), kRunTimeout);
  if (!run.ok()) return run.status();
  const std::string output(absl::StripAsciiWhitespace(run->stdout_text));
  if (run->exit_code != 0 || !absl::StartsWith(output, "cloison-pause ")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "`run` exited ", run->exit_code, ": ", absl::StripAsciiWhitespace(run->stderr_text.empty() ? output : run->stderr_text)));
  }
  return absl::StrCat("ran a container (", output, ") in ", took.count(), " ms");
}

// Runs the throwaway container through the vm handler's shim, as pods run: cloison-monitor
// starts the shim and holds the container's output, which lands in a CRI log file. The shim
// gets a scratch address and events endpoint (without a reader of its events it lingers,
// retrying them, after its last task is gone).
absl::StatusOr<std::string> RunThrowawayInVm(const runtime::HandlerInfo& handler, const std::string& scratch,
                                             const std::string& pause_binary) {
  const std::string shim_dir = scratch + "/shim";
  const std::string id = absl::StrCat("cloison-check-", util::NewObjectId().substr(0, 12));
  const std::string bundle = absl::StrCat(scratch, "/", handler.config.name);
  const std::string rootfs = bundle + "/rootfs";
  if (absl::Status s = util::MakeDirs(shim_dir, 0700); !s.ok()) return s;
  shim::EventsServer events(runtime::ShimEventsSocket(shim_dir), [](const shim::ShimEvent&) {});
  if (absl::Status s = events.Start(); !s.ok()) return s;
  if (absl::Status s = sandbox::BuildPauseRootfs(pause_binary, rootfs); !s.ok()) return s;
  nlohmann::json spec = ThrowawaySpec(rootfs);
  // A sandbox of its own, as the shim of a pod's infra container sees it.
  spec["annotations"] = {{"io.kubernetes.cri.container-type", "sandbox"}, {"io.kubernetes.cri.sandbox-id", id}};
  if (absl::Status s = util::ReplaceFile(bundle + "/config.json", spec.dump()); !s.ok()) return s;
  runtime::CreateRequest request;
  request.id = id;
  request.bundle = bundle;
  request.state_dir = bundle + "/state";
  request.pod_state_dir = bundle;
  request.socket_dir = runtime::MonitorSocketDir(scratch, id);
  request.exit_file = bundle + "/exit";
  request.log_path = bundle + "/container.log";
  runtime::VmRuntime vm(runtime::VmOptionsForHandler(handler, shim_dir));
  const auto started = std::chrono::steady_clock::now();
  absl::Status ran = vm.Create(request).status();
  if (ran.ok()) ran = vm.Start(request).status();
  while (ran.ok() && access(request.exit_file.c_str(), F_OK) != 0) {
    if (std::chrono::steady_clock::now() - started > kRunTimeout) ran = absl::DeadlineExceededError("the container did not exit");
    usleep(20 * 1000);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  const absl::Status deleted = vm.Delete(id);
  if (!ran.ok()) return ran;
  if (!deleted.ok()) return deleted;
  absl::StatusOr<runtime::ExitRecord> exit = runtime::ReadExitFile(request.exit_file);
  if (!exit.ok()) return exit.status();
  absl::StatusOr<std::string> log = util::ReadFile(request.log_path);
  const size_t line = log.ok() ? log->find(" stdout F cloison-pause ") : std::string::npos;
  if (exit->exit_code != 0 || line == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat("the container exited ", exit->exit_code, " and printed: ",
                                                      log.ok() ? absl::StripAsciiWhitespace(*log) : "nothing"));
  }
  const std::string output = log->substr(line + 10, log->find('\n', line) - line - 10);
  return absl::StrCat("ran a container (", output, ") in ", took.count(), " ms");
}

}  // namespace

int CheckHandlers(const config::Config& config) {
  const runtime::HandlerTable table = runtime::HandlerTable::Probe(config);
  const std::string scratch = config.state + "/check-handlers";
  std::error_code ec;
  const std::string pause_binary = (fs::read_symlink("/proc/self/exe", ec).parent_path() / "cloison-pause").string();
  bool all_ok = true;
  for (const runtime::HandlerInfo& handler : table.handlers()) {
    const std::string& name = handler.config.name;
    std::cout << name << (name == table.default_name() ? " (default)" : "") << ": "
              << config::RuntimeTypeName(handler.config.runtime_type) << ", ";
    if (!handler.available()) {
      std::cout << "FAILED: " << handler.unavailable_reason << "\n";
      all_ok = false;
      continue;
    }
    std::cout << handler.resolved_path << ": ";
    absl::StatusOr<std::string> ran;
    if (handler.config.runtime_type == config::RuntimeType::kVm) {
      std::cout << handler.kvm_state << "; ";
      ran = RunThrowawayInVm(handler, scratch, pause_binary);
    } else {
      ran = RunThrowaway(handler, scratch, pause_binary, config.cgroup_driver == "systemd");
    }
    std::cout << (ran.ok() ? "OK: " + *ran : absl::StrCat("FAILED: ", ran.status().message())) << "\n";
    all_ok = all_ok && ran.ok();
  }
  fs::remove_all(scratch, ec);
  return all_ok ? 0 : 1;
}

}  // namespace cloison::cloisond
