// Port forwarding's connection: a TCP connection to 127.0.0.1:<port> inside a pod's network
// namespace. setns(2) changes only the calling thread's namespace, so a short-lived thread
// joins the namespace, connects and hands the socket back; a socket keeps the namespace it
// was created in.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/util/unique_fd.h"

namespace cloison::streaming {

// `netns_path` "" connects in cloisond's own namespace (a pod on the host network).
absl::StatusOr<util::UniqueFd> DialInNetns(const std::string& netns_path, uint16_t port);

}  // namespace cloison::streaming
