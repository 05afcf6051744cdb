// A pod's user namespace as the CRI asks for it (NamespaceOption.userns_options): mode NODE
// (or no options) keeps the host's user namespace; mode POD gives every container of the pod
// one shared user namespace with the uid and gid mappings kubelet sends (typically one line
// each: container 0 -> host N, length 65536). Validation follows what the kernel accepts in
// /proc/<pid>/{uid,gid}_map (at most 340 lines, non-zero lengths, no overlap on either side,
// no 32-bit overflow) and what cloison needs: container id 0 must be mapped, because the
// pod's root owns the container root filesystems and pod files.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

// The kernel's limit on lines in a uid_map or gid_map file.
inline constexpr int kMaxIdMapLines = 340;

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t length = 0;
  bool operator==(const IdMapping&) const = default;
};

struct UserNamespaceMappings {
  std::vector<IdMapping> uids;
  std::vector<IdMapping> gids;
  bool operator==(const UserNamespaceMappings&) const = default;

  // The host ids of the pod's root (container id 0 in each mapping).
  uint32_t HostRootUid() const;
  uint32_t HostRootGid() const;
};

// The pod's user namespace from `options` (may be null): nullopt for the host's (no
// userns_options, or mode NODE), the validated mappings for mode POD. INVALID_ARGUMENT names
// `<field_prefix>.namespace_options.userns_options.<field>` for mode CONTAINER or TARGET, and
// for mode POD with missing, empty-length, overlapping, overflowing or too many mappings, or
// without container id 0.
absl::StatusOr<std::optional<UserNamespaceMappings>> PodUserNamespace(
    const ::runtime::v1::NamespaceOption* options, absl::string_view field_prefix);

// A container of a pod always runs in the pod's user namespace. `options` (may be null) is
// the container's NamespaceOption: mode POD must carry the pod's own mappings, and a pod
// without a user namespace cannot give one (INVALID_ARGUMENT naming the field); NODE or no
// options are fine either way (kubelet sends the pod's mode to each container).
absl::Status CheckContainerUserNamespace(const ::runtime::v1::NamespaceOption* options,
                                         const std::optional<UserNamespaceMappings>& pod,
                                         absl::string_view field_prefix);

// "<container_id> <host_id> <length>\n" per mapping: the text for /proc/<pid>/uid_map.
std::string IdMapFileText(const std::vector<IdMapping>& mappings);

// The OCI spec's linux.uidMappings / gidMappings array.
nlohmann::json IdMappingsJson(const std::vector<IdMapping>& mappings);

}  // namespace cloison::oci
