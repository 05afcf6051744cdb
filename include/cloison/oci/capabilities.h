// The capability sets of a container's process. Unprivileged containers start from CRI-O's
// default set; CRI add/drop lists apply on top ("ALL" in add means every available capability,
// in drop means none, before the individual names apply; names are case-insensitive, with or
// without the CAP_ prefix). Privileged containers get every available capability and the
// add/drop lists are ignored (containerd applies privileged last). "Available" is what the
// caller can grant (the daemon's own bounding set): runc cannot grant anything outside it, so
// defaults outside it are left out and explicitly added ones are INVALID_ARGUMENT.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

// CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_SETGID, CAP_SETUID, CAP_SETPCAP,
// CAP_NET_BIND_SERVICE, CAP_KILL.
const std::vector<std::string>& DefaultCapabilities();

// "chown" / "CAP_chown" -> "CAP_CHOWN".
std::string CanonicalCapability(const std::string& name);

struct CapabilitySets {
  std::vector<std::string> granted;  // bounding = effective = permitted (sorted)
  std::vector<std::string> ambient;  // ambient = inheritable (sorted)
};

// `caps` may be null (no add/drop). add_ambient_capabilities are granted and made ambient.
// Errors name config.linux.security_context.capabilities.<list>[i].
absl::StatusOr<CapabilitySets> ComputeCapabilities(const ::runtime::v1::Capability* caps,
                                                   bool privileged,
                                                   const std::vector<std::string>& available);

}  // namespace cloison::oci
