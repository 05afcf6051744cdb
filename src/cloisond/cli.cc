#include "cli.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cloison::cloisond {
namespace {

// Flags that take a value, and where each one goes.
std::optional<std::string>* FlagTarget(absl::string_view name, config::ConfigSources& sources) {
  if (name == "--config") return &sources.config_file;
  if (name == "--config-dir") return &sources.config_dir;
  if (name == "--listen") return &sources.listen;
  if (name == "--root") return &sources.root;
  if (name == "--state") return &sources.state;
  if (name == "--log-level") return &sources.log_level;
  return nullptr;
}

}  // namespace

std::string UsageText() {
  return "Usage: cloisond [flags] [config]\n"
         "\n"
         "cloisond serves the Kubernetes CRI v1 API on a unix socket.\n"
         "\n"
         "Commands:\n"
         "  config               print the effective configuration as TOML and exit\n"
         "  check-handlers       run a throwaway container on each runtime handler, print\n"
         "                       what works on this node and exit (1 if any handler fails)\n"
         "\n"
         "Flags:\n"
         "  --config PATH        main config file (default /etc/cloison/cloison.toml if present)\n"
         "  --config-dir DIR     drop-in directory, *.toml in lexical order\n"
         "                       (default /etc/cloison/cloison.d)\n"
         "  --listen ADDR        CRI socket: a path or unix:///path\n"
         "                       (default /run/cloison/cloison.sock)\n"
         "  --root DIR           persistent state (default /var/lib/cloison)\n"
         "  --state DIR          runtime state (default /run/cloison)\n"
         "  --log-level LEVEL    trace, debug, info, warn, error or off (default info)\n"
         "  --version            print the version and exit\n"
         "  --help               print this help and exit\n";
}

absl::StatusOr<Invocation> ParseCommandLine(const std::vector<std::string>& args) {
  Invocation invocation;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--version" || arg == "-v") {
      invocation.command = Command::kVersion;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      invocation.command = Command::kHelp;
      continue;
    }
    if (arg == "config" && invocation.command == Command::kServe) {
      invocation.command = Command::kPrintConfig;
      continue;
    }
    if (arg == "check-handlers" && invocation.command == Command::kServe) {
      invocation.command = Command::kCheckHandlers;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    std::optional<std::string>* target = FlagTarget(name, invocation.sources);
    if (target == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", arg, "\" (see --help)"));
    }
    if (inline_value) {
      *target = *inline_value;
    } else if (i + 1 < args.size()) {
      *target = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
  }
  return invocation;
}

}  // namespace cloison::cloisond
