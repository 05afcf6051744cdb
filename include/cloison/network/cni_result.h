// Reads the pod's IP addresses out of the result of a CNI ADD chain. The result formats of
// cniVersion 0.3.x, 0.4.0 and 1.x all list "ips" entries with an "address" in CIDR notation
// (0.3.x/0.4.0 add a "version"), and an optional "interface" index into "interfaces". Addresses
// on a host-side interface (an entry of "interfaces" without "sandbox") are not the pod's.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::network {

// The addresses without their prefix length, in the result's order (kubelet takes the first
// as the pod's primary IP). INVALID_ARGUMENT naming ips[i].address when one is malformed.
absl::StatusOr<std::vector<std::string>> PodIpsFromResult(const nlohmann::json& result);

}  // namespace cloison::network
