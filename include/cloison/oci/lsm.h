// AppArmor and SELinux options of a container or pod sandbox. cloison ships no AppArmor
// profile and does not label with SELinux yet, so:
//  * privileged processes get neither;
//  * AppArmor Unconfined (or nothing) means none; RuntimeDefault means none too, with a log
//    line (on an AppArmor host this is weaker than containerd's cri-containerd.apparmor.d);
//    Localhost <name> sets process.apparmorProfile on an AppArmor host (runc applies the
//    loaded profile) and fails FAILED_PRECONDITION "AppArmor is not enabled on this host"
//    elsewhere, since the pod asked for a confinement that cannot be given;
//  * SELinux options are ignored with a log line when the host has no SELinux, and are
//    UNIMPLEMENTED on a host that has it (cloison would otherwise run the container unlabeled).
// The deprecated apparmor_profile string ("runtime/default", "unconfined", "localhost/<name>")
// is read when `apparmor` is unset.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

struct HostLsms {
  bool apparmor = false;  // /sys/module/apparmor/parameters/enabled is "Y"
  bool selinux = false;   // selinuxfs is mounted at /sys/fs/selinux
};

HostLsms DetectHostLsms();

struct LsmInput {
  const ::runtime::v1::SecurityProfile* apparmor = nullptr;  // null when unset
  std::string deprecated_apparmor;                           // apparmor_profile
  const ::runtime::v1::SELinuxOption* selinux = nullptr;     // null when unset
  bool privileged = false;
  HostLsms host;
  std::string field;  // "config.linux.security_context" (for messages)
};

// Checks the options and sets process.apparmorProfile when one applies.
absl::Status ApplyLsmOptions(const LsmInput& input, nlohmann::json& process);

}  // namespace cloison::oci
