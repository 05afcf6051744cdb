// The daemon's side of cloison-monitor's control socket (<state_dir>/ctl): one JSON request
// per SOCK_SEQPACKET packet, one JSON reply. UNAVAILABLE when no monitor answers.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::runtime {

absl::StatusOr<nlohmann::json> CallMonitor(const std::string& control_socket, const nlohmann::json& request,
                                           std::chrono::milliseconds timeout);

}  // namespace cloison::runtime
