#include "cloison/monitor/options.h"

#include <map>
#include <optional>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cloison::monitor {
namespace {

using Target = std::variant<bool*, std::string*, int*, std::vector<std::string>*>;

std::map<std::string, Target> FlagTable(MonitorOptions& o) {
  return {
      {"--exec", &o.exec},
      {"--shim-exec", &o.shim_exec},
      {"--id", &o.id},
      {"--runtime", &o.runtime},
      {"--runtime-arg", &o.runtime_args},
      {"--tty", &o.tty},
      {"--bundle", &o.bundle},
      {"--log-path", &o.log_path},
      {"--exit-file", &o.exit_file},
      {"--socket-dir", &o.socket_dir},
      {"--pid-file", &o.pid_file},
      {"--stdin", &o.stdin_open},
      {"--stdin-once", &o.stdin_once},
      {"--stdio-at-start", &o.stdio_at_start},
      {"--wait-with-runtime", &o.wait_with_runtime},
      {"--run", &o.run},
      {"--create-timeout", &o.create_timeout_seconds},
      {"--sync-fd", &o.sync_fd},
      {"--lock-fd", &o.lock_fd},
      {"--process-spec", &o.process_spec},
      {"--stdout-file", &o.stdout_file},
      {"--stderr-file", &o.stderr_file},
      {"--timeout", &o.timeout_seconds},
      {"--kill-with-runtime", &o.kill_with_runtime},
      {"--direct-exec", &o.direct_exec},
      {"--shim", &o.shim},
      {"--shim-namespace", &o.shim_namespace},
      {"--shim-address", &o.shim_address},
      {"--shim-ttrpc-address", &o.shim_ttrpc_address},
      {"--shim-config-path", &o.shim_config_path},
      {"--state-dir", &o.state_dir},
      {"--shim-log", &o.shim_log},
  };
}

absl::Status Require(const std::vector<std::pair<const char*, const std::string*>>& required) {
  for (const auto& [flag, value] : required) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " is required"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MonitorOptions> ParseOptions(const std::vector<std::string>& args) {
  MonitorOptions options;
  const std::map<std::string, Target> flags = FlagTable(options);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const auto flag = flags.find(name);
    if (flag == flags.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    if (bool* const* switch_target = std::get_if<bool*>(&flag->second)) {
      if (value) return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      **switch_target = true;
      continue;
    }
    if (!value) {
      if (++i == args.size()) return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      value = args[i];
    }
    if (std::string* const* text = std::get_if<std::string*>(&flag->second)) {
      **text = *value;
    } else if (auto* const* list = std::get_if<std::vector<std::string>*>(&flag->second)) {
      (*list)->push_back(*value);
    } else if (!absl::SimpleAtoi(*value, std::get<int*>(flag->second)) ||
               *std::get<int*>(flag->second) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, " wants a non-negative number, not ", *value));
    }
  }
  absl::Status status;
  if (options.shim_exec) {
    if (options.exec || !options.shim.empty() || !options.runtime.empty()) {
      return absl::InvalidArgumentError("--shim-exec excludes --exec, --shim and --runtime");
    }
    status = Require({{"--id", &options.id},
                      {"--shim-address", &options.shim_address},
                      {"--shim-namespace", &options.shim_namespace},
                      {"--process-spec", &options.process_spec},
                      {"--state-dir", &options.state_dir}});
  } else if (options.exec) {
    if (!options.shim.empty()) return absl::InvalidArgumentError("--exec runs through --runtime, not --shim");
    status = Require({{"--id", &options.id},
                      {"--runtime", &options.runtime},
                      {"--process-spec", &options.process_spec},
                      {"--stdout-file", &options.stdout_file},
                      {"--stderr-file", &options.stderr_file}});
    if (status.ok() && options.direct_exec) status = Require({{"--bundle", &options.bundle}});
  } else if (!options.shim.empty()) {
    if (!options.runtime.empty()) return absl::InvalidArgumentError("--shim and --runtime exclude each other");
    if (options.run) return absl::InvalidArgumentError("--run goes with --runtime, not --shim");
    status = Require({{"--id", &options.id},
                      {"--bundle", &options.bundle},
                      {"--shim-namespace", &options.shim_namespace},
                      {"--shim-address", &options.shim_address},
                      {"--state-dir", &options.state_dir},
                      {"--shim-log", &options.shim_log},
                      {"--log-path", &options.log_path},
                      {"--exit-file", &options.exit_file},
                      {"--socket-dir", &options.socket_dir}});
  } else {
    status = Require({{"--id", &options.id},
                      {"--bundle", &options.bundle},
                      {"--runtime", &options.runtime},
                      {"--log-path", &options.log_path},
                      {"--exit-file", &options.exit_file},
                      {"--socket-dir", &options.socket_dir}});
  }
  if (!status.ok()) return status;
  return options;
}

std::vector<std::string> RuntimeCommand(const MonitorOptions& options,
                                        const std::vector<std::string>& subcommand) {
  std::vector<std::string> argv{options.runtime};
  argv.insert(argv.end(), options.runtime_args.begin(), options.runtime_args.end());
  argv.insert(argv.end(), subcommand.begin(), subcommand.end());
  return argv;
}

}  // namespace cloison::monitor
