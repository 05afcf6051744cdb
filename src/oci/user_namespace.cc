#include "cloison/oci/user_namespace.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cloison::oci {
namespace {

namespace v1 = ::runtime::v1;

constexpr uint64_t kIdSpace = uint64_t{1} << 32;
// The kernel takes one write of less than a page into a map file.
constexpr size_t kMaxIdMapBytes = 4096;

// Host id of container id 0; the mappings were validated, so one maps it.
uint32_t HostIdOfZero(const std::vector<IdMapping>& mappings) {
  for (const IdMapping& m : mappings) {
    if (m.container_id == 0) return m.host_id;
  }
  return 0;
}

bool Overlap(uint32_t a, uint32_t a_length, uint32_t b, uint32_t b_length) {
  return uint64_t{a} < uint64_t{b} + b_length && uint64_t{b} < uint64_t{a} + a_length;
}

absl::StatusOr<std::vector<IdMapping>> ValidateMappings(
    const google::protobuf::RepeatedPtrField<v1::IDMapping>& list, const std::string& field) {
  if (list.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty; mode POD needs mappings"));
  }
  if (list.size() > kMaxIdMapLines) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", list.size(),
                                                   " mappings; the kernel takes at most ",
                                                   kMaxIdMapLines));
  }
  std::vector<IdMapping> out;
  for (int i = 0; i < list.size(); ++i) {
    const v1::IDMapping& m = list[i];
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (m.length() == 0) return absl::InvalidArgumentError(absl::StrCat(item, ".length: 0"));
    if (uint64_t{m.container_id()} + m.length() > kIdSpace || uint64_t{m.host_id()} + m.length() > kIdSpace) {
      return absl::InvalidArgumentError(
          absl::StrCat(item, ": the range of length ", m.length(), " runs past id 4294967295"));
    }
    for (size_t j = 0; j < out.size(); ++j) {
      if (Overlap(m.container_id(), m.length(), out[j].container_id, out[j].length)) {
        return absl::InvalidArgumentError(
            absl::StrCat(item, ".container_id: its range overlaps ", field, "[", j, "]"));
      }
      if (Overlap(m.host_id(), m.length(), out[j].host_id, out[j].length)) {
        return absl::InvalidArgumentError(
            absl::StrCat(item, ".host_id: its range overlaps ", field, "[", j, "]"));
      }
    }
    out.push_back({m.container_id(), m.host_id(), m.length()});
  }
  if (std::none_of(out.begin(), out.end(), [](const IdMapping& m) { return m.container_id == 0; })) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": container id 0 is not mapped (the pod's root owns its files)"));
  }
  if (IdMapFileText(out).size() >= kMaxIdMapBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": the mappings take more than the kernel's ", kMaxIdMapBytes - 1, " bytes"));
  }
  return out;
}

}  // namespace

uint32_t UserNamespaceMappings::HostRootUid() const { return HostIdOfZero(uids); }
uint32_t UserNamespaceMappings::HostRootGid() const { return HostIdOfZero(gids); }

absl::StatusOr<std::optional<UserNamespaceMappings>> PodUserNamespace(
    const v1::NamespaceOption* options, absl::string_view field_prefix) {
  if (options == nullptr || !options->has_userns_options()) return std::nullopt;
  const v1::UserNamespace& userns = options->userns_options();
  const std::string field = absl::StrCat(field_prefix, ".namespace_options.userns_options");
  switch (userns.mode()) {
    case v1::NODE:
      return std::nullopt;
    case v1::POD:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(field, ".mode: ", v1::NamespaceMode_Name(userns.mode()),
                                                     ": only POD and NODE are supported"));
  }
  UserNamespaceMappings mappings;
  absl::StatusOr<std::vector<IdMapping>> uids = ValidateMappings(userns.uids(), field + ".uids");
  if (!uids.ok()) return uids.status();
  absl::StatusOr<std::vector<IdMapping>> gids = ValidateMappings(userns.gids(), field + ".gids");
  if (!gids.ok()) return gids.status();
  mappings.uids = *std::move(uids);
  mappings.gids = *std::move(gids);
  return mappings;
}

absl::Status CheckContainerUserNamespace(const v1::NamespaceOption* options,
                                         const std::optional<UserNamespaceMappings>& pod,
                                         absl::string_view field_prefix) {
  absl::StatusOr<std::optional<UserNamespaceMappings>> own = PodUserNamespace(options, field_prefix);
  if (!own.ok() || !own->has_value()) return own.status();
  const std::string field = absl::StrCat(field_prefix, ".namespace_options.userns_options");
  if (!pod.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".mode: POD, but the pod sandbox has no user namespace"));
  }
  if (**own != *pod) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": the mappings differ from the pod sandbox's (its containers share one user namespace)"));
  }
  return absl::OkStatus();
}

std::string IdMapFileText(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const IdMapping& m : mappings) absl::StrAppend(&text, m.container_id, " ", m.host_id, " ", m.length, "\n");
  return text;
}

nlohmann::json IdMappingsJson(const std::vector<IdMapping>& mappings) {
  nlohmann::json list = nlohmann::json::array();
  for (const IdMapping& m : mappings) {
    list.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.length}});
  }
  return list;
}

}  // namespace cloison::oci
