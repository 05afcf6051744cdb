// Builds the CRI StatusResponse: runtime and network conditions, the runtime handlers
// that can run here with their features, and (verbose) the effective config as JSON.
#pragma once

#include "cloison/server/live_config.h"
#include "cloison/cri/api.h"

namespace cloison::server {

inline constexpr char kRuntimeReady[] = "RuntimeReady";
inline constexpr char kNetworkReady[] = "NetworkReady";

void FillStatus(const ConfigSnapshot& snapshot, bool verbose, ::runtime::v1::StatusResponse& out);

}  // namespace cloison::server
