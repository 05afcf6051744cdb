// The node's pod CIDR as kubelet sends it in UpdateRuntimeConfig ("10.244.1.0/24", or
// "10.244.1.0/24,fd00:10:244:1::/64" on dual-stack nodes), and the CNI "ipRanges" capability
// made of it: one range set per CIDR, [[{"subnet": "10.244.1.0/24"}], [{"subnet": ...}]],
// which host-local (and other IPAM plugins declaring ipRanges) allocate from.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::network {

// The CIDRs of `text` (comma-separated, spaces allowed); INVALID_ARGUMENT naming the one that
// is not an IPv4 or IPv6 network address with a prefix length. "" gives none.
absl::StatusOr<std::vector<std::string>> ParsePodCidrs(const std::string& text);

// The ipRanges value for `cidrs`; an empty array for none.
nlohmann::json IpRanges(const std::vector<std::string>& cidrs);

}  // namespace cloison::network
