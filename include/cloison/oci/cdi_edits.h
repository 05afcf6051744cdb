// Applies one CDI containerEdits block to an OCI runtime spec (config.json as built by
// spec_builder.h), as the reference implementation does:
//  * env: each NAME=VALUE replaces the variable of that name or is appended;
//  * deviceNodes: a linux.devices entry (replacing one at the same path) whose type, major
//    and minor come from the host node (hostPath, else path; not following symlinks) when
//    the spec leaves them out; uid/gid default to the process's when it is not root; an
//    allow rule in linux.resources.devices with the node's permissions ("" = "rwm"; "none"
//    adds no rule, so the deny-all base rule holds);
//  * mounts: each replaces a mount at the same destination, then the list is stably sorted by
//    destination depth (parents first);
//  * hooks: appended to hooks.<hookName>;
//  * additionalGids: added to process.user.additionalGids once each (0 is ignored);
//  * intelRdt: becomes linux.intelRdt.
// A host node that is missing or not a device, or whose type differs from the spec's, fails
// with FAILED_PRECONDITION naming `device` (the CDI device being applied) and the path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "cloison/oci/cdi_spec.h"

namespace cloison::oci {

absl::Status ApplyCdiEdits(const CdiContainerEdits& edits, const std::string& device, nlohmann::json& spec);

}  // namespace cloison::oci
