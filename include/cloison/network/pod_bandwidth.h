// The CNI "bandwidth" capability of a pod, from the annotations kubelet copies from the pod:
// kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth, Kubernetes quantities in
// bits per second ("10M", "1Gi", "500k"), each between 1k and 1P as Kubernetes requires. As in
// containerd, a given rate comes with a burst of 2^32-1 bits (the plugin's largest):
// {"ingressRate": r, "ingressBurst": 4294967295, "egressRate": ..., "egressBurst": ...}.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"
#include "nlohmann/json.hpp"

namespace cloison::network {

inline constexpr char kIngressBandwidthAnnotation[] = "kubernetes.io/ingress-bandwidth";
inline constexpr char kEgressBandwidthAnnotation[] = "kubernetes.io/egress-bandwidth";

// A Kubernetes quantity as a whole number (rounded up): decimal ("1.5", "2e3") with an
// optional SI (m, k, M, G, T, P, E) or binary (Ki .. Ei) suffix. INVALID_ARGUMENT otherwise.
absl::StatusOr<uint64_t> ParseQuantity(const std::string& text);

// Null when neither annotation is set; INVALID_ARGUMENT naming the annotation when one is not
// a reasonable bandwidth.
absl::StatusOr<nlohmann::json> PodBandwidth(const ::runtime::v1::PodSandboxConfig& config);

}  // namespace cloison::network
