// cloisond's command line: `cloisond [flags]` serves, `cloisond config` prints the effective
// configuration as TOML, `cloisond check-handlers` tries each runtime handler (check_handlers.h),
// `cloisond --version` and `--help` print and exit.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/config/loader.h"

namespace cloison::cloisond {

enum class Command { kServe, kPrintConfig, kCheckHandlers, kVersion, kHelp };

struct Invocation {
  Command command = Command::kServe;
  config::ConfigSources sources;
};

absl::StatusOr<Invocation> ParseCommandLine(const std::vector<std::string>& args);

std::string UsageText();

}  // namespace cloison::cloisond
