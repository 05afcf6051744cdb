// Resource settings of a container's spec: linux.resources from the CRI's
// LinuxContainerResources (0 / empty = unset, so the runtime leaves that knob alone), and the
// process's oom_score_adj.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

// linux.resources without "devices": cpu {shares, quota, period, cpus, mems}, memory {limit,
// swap}, hugepageLimits and unified, each only when set. The swap limit is passed only when
// the CRI gives one (kubelet computes it from its swap behaviour).
nlohmann::json LinuxResources(const ::runtime::v1::LinuxContainerResources& resources);

// `requested` raised to at least `minimum` (the daemon's own score: a container may not be
// less likely to be OOM-killed than the daemon). Above 1000 is INVALID_ARGUMENT naming
// `field`.
absl::StatusOr<int64_t> OomScoreAdj(int64_t requested, int64_t minimum, const char* field);

}  // namespace cloison::oci
