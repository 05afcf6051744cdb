// Which seccomp filter a container (or the pod's infra container) gets, as the OCI
// linux.seccomp object runc compiles:
//  * privileged containers get none;
//  * `seccomp` (SecurityProfile) when the CRI sets it, else the deprecated
//    `seccomp_profile_path` ("runtime/default", "docker/default", "unconfined",
//    "localhost/<absolute path>"); neither set means unconfined (kubelet sends RuntimeDefault
//    itself when its SeccompDefault is on);
//  * RuntimeDefault: cloison's profile (seccomp_default.h) for the process's capabilities;
//  * Localhost: a JSON file that must lie under the configured seccomp_profile_root (symlinks
//    resolved). Docker's format (names or name, archMap, includes/excludes by caps and arches,
//    comments) and the OCI linux.seccomp format are both read; minKernel is ignored.
// Bad JSON, a wrong structure, an unknown action, operator or architecture fail with
// INVALID_ARGUMENT naming the CRI field and the file. Syscall names libseccomp does not know
// on any of the profile's architectures are dropped with a log line (a profile written for a
// newer kernel still loads), and rules left without names go.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

struct SeccompInput {
  const ::runtime::v1::SecurityProfile* profile = nullptr;  // null when the CRI left it unset
  std::string deprecated_path;                              // seccomp_profile_path
  bool privileged = false;
  std::vector<std::string> capabilities;  // granted to the process ("CAP_SYS_ADMIN", ...)
  std::string profile_root;               // Localhost profiles must be under it
  std::string field;  // "config.linux.security_context" (for messages)
};

// linux.seccomp, or nullopt for none (unconfined).
absl::StatusOr<std::optional<nlohmann::json>> SeccompForProcess(const SeccompInput& input);

// A profile file's text as linux.seccomp, conditions evaluated for `capabilities` and this
// host's architecture, unknown syscall names not yet dropped. `where` prefixes error messages.
absl::StatusOr<nlohmann::json> ParseSeccompProfile(absl::string_view text,
                                                   const std::vector<std::string>& capabilities,
                                                   absl::string_view where);

// Removes from `profile` the syscall names libseccomp cannot resolve on any of its
// architectures (the native one when it lists none), and rules left empty. Returns the names
// removed, sorted and unique.
std::vector<std::string> DropUnknownSyscalls(nlohmann::json& profile);

}  // namespace cloison::oci
