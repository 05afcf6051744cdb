// The container's first process, from the CRI request and the image config, following the
// Docker/containerd rules: command/args against Entrypoint/Cmd, environment merged by key,
// working directory, and the user with its supplementary groups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"
#include "cloison/oci/image_config.h"
#include "cloison/oci/user_lookup.h"

namespace cloison::oci {

// The argv: CRI command replaces the image Entrypoint (and then the image Cmd is dropped);
// CRI args replace the image Cmd. An image Entrypoint of [""] counts as none. Nothing to run
// at all is INVALID_ARGUMENT naming config.command.
absl::StatusOr<std::vector<std::string>> ProcessArgs(const ::runtime::v1::ContainerConfig& config,
                                                     const ImageConfig& image);

// Environment variables that the runtime adds beneath the image's.
struct BaseEnv {
  std::string hostname;  // HOSTNAME (skipped when empty)
  bool tty = false;      // TERM=xterm
};

// The environment in order: a default PATH, HOSTNAME, TERM (tty only), then the image Env,
// then the CRI envs; a later entry replaces an earlier one with the same key in place. CRI
// values are bytes: invalid UTF-8 sequences become U+FFFD (what a JSON spec can carry, and
// what containerd's encoder does); an empty key, a key with '=' or NUL, or a value with NUL
// is INVALID_ARGUMENT naming config.envs[i].
absl::StatusOr<std::vector<std::string>> ProcessEnv(
    const ImageConfig& image, const google::protobuf::RepeatedPtrField<::runtime::v1::KeyValue>& envs,
    const BaseEnv& base);

// CRI working_dir, else the image WorkingDir (made absolute), else "/". A relative CRI
// working_dir is INVALID_ARGUMENT.
absl::StatusOr<std::string> ProcessCwd(const ::runtime::v1::ContainerConfig& config,
                                       const ImageConfig& image);

// The security-context fields that pick the user; `field_prefix` names them in errors
// (e.g. "config.linux.security_context").
struct UserRequest {
  std::string field_prefix;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::string run_as_username;
  std::vector<int64_t> supplemental_groups;
  bool strict_groups = false;  // SupplementalGroupsPolicy Strict: no /etc/group groups
};

// The security-context fields of a container or of a pod sandbox.
UserRequest UserRequestOf(const ::runtime::v1::LinuxContainerSecurityContext& sc);
UserRequest UserRequestOf(const ::runtime::v1::LinuxSandboxSecurityContext& sc);

struct ProcessUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // sorted, unique, always holding gid
  std::string home;  // from /etc/passwd, invalid UTF-8 sequences replaced by U+FFFD
};

// The user: run_as_username or run_as_user (with run_as_group), else the image User, else
// root. Additional gids are the primary gid (as containerd does since CVE-2023-25173), the
// /etc/group groups listing the user (unless strict), and the CRI supplemental groups.
absl::StatusOr<ProcessUser> ResolveProcessUser(const UserDatabase& db, const UserRequest& request,
                                               const ImageConfig& image);

}  // namespace cloison::oci
