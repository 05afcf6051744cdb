// Runs cloisond until SIGTERM or SIGINT: logging, state directories, the CRI server,
// sd_notify, SIGHUP reloads. Returns the process exit code.
#pragma once

#include "cloison/config/config.h"
#include "cloison/config/loader.h"

namespace cloison::cloisond {

int RunDaemon(const config::ConfigSources& sources, const config::Config& config);

}  // namespace cloison::cloisond
