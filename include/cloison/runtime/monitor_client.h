// The daemon's side of cloison-monitor's control socket (<state_dir>/ctl): one JSON request
// per SOCK_SEQPACKET packet, one JSON reply. UNAVAILABLE when no monitor answers;
// INVALID_ARGUMENT unless `control_socket` is an absolute path that fits in a unix socket address.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::runtime {

absl::StatusOr<nlohmann::json> CallMonitor(const std::string& control_socket, const nlohmann::json& request,
                                           std::chrono::milliseconds timeout);

}  // namespace cloison::runtime
