// The v4 remote command error stream's payload: a JSON metav1.Status. Success for exit code
// 0; for a non-zero exit code reason NonZeroExitCode with one cause {reason: ExitCode,
// message: "<n>"}, which kubectl and crictl turn back into their own exit code; for a failure
// to run the command, its message. Older protocols (v1-v3) carry only the message of a failure.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace cloison::streaming {

std::string StatusJson(const absl::StatusOr<int>& exit_code);

// "" for exit code 0.
std::string StatusText(const absl::StatusOr<int>& exit_code);

}  // namespace cloison::streaming
