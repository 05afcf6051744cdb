// CDI devices for one container, as containerd's CRI plugin takes them: the names in
// config.CDI_devices, then those of the container's "cdi.k8s.io/<key>" annotations (each
// value a comma-separated list of fully-qualified names; keys in sorted order), a name asked
// for twice taken once. The pod's annotations are not read (containerd does not either).
//
// Injection resolves every name in the registry first, then applies, in request order, each
// device's spec-level edits (once per spec) followed by the device's own (cdi_edits.h).
// Errors: a malformed name is INVALID_ARGUMENT, an unknown device NOT_FOUND, both naming the
// CRI field it came from (config.CDI_devices[i].name or config.annotations[<key>]).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"
#include "cloison/oci/cdi_registry.h"

namespace cloison::oci {

struct CdiRequest {
  std::string name;   // fully-qualified, validated
  std::string field;  // where it came from, for error messages
};

absl::StatusOr<std::vector<CdiRequest>> CdiRequests(const ::runtime::v1::ContainerConfig& config);

absl::Status InjectCdiDevices(const CdiRegistry& registry, const std::vector<CdiRequest>& requests,
                              nlohmann::json& spec);

}  // namespace cloison::oci
