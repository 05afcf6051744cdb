#include "cloison/oci/cdi_inject.h"

#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/oci/cdi_edits.h"
#include "cloison/oci/cdi_name.h"

namespace cloison::oci {
namespace {

constexpr absl::string_view kAnnotationPrefix = "cdi.k8s.io/";

}  // namespace

absl::StatusOr<std::vector<CdiRequest>> CdiRequests(const ::runtime::v1::ContainerConfig& config) {
  std::vector<CdiRequest> requests;
  std::set<std::string> seen;
  auto add = [&](const std::string& name, const std::string& field) -> absl::Status {
    if (absl::StatusOr<CdiName> parsed = ParseCdiQualifiedName(name); !parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", parsed.status().message()));
    }
    if (seen.insert(name).second) requests.push_back({name, field});
    return absl::OkStatus();
  };
  for (int i = 0; i < config.cdi_devices_size(); ++i) {
    if (absl::Status s = add(config.cdi_devices(i).name(), absl::StrCat("config.CDI_devices[", i, "].name"));
        !s.ok()) {
      return s;
    }
  }
  const std::map<std::string, std::string> annotations(config.annotations().begin(), config.annotations().end());
  for (const auto& [key, value] : annotations) {
    if (!absl::StartsWith(key, kAnnotationPrefix)) continue;
    for (absl::string_view name : absl::StrSplit(value, ',')) {
      if (absl::Status s = add(std::string(name), absl::StrCat("config.annotations[", key, "]")); !s.ok()) return s;
    }
  }
  return requests;
}

absl::Status InjectCdiDevices(const CdiRegistry& registry, const std::vector<CdiRequest>& requests,
                              nlohmann::json& spec) {
  std::vector<const CdiDevice*> devices;
  for (const CdiRequest& request : requests) {
    const CdiDevice* device = registry.Find(request.name);
    if (device == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(request.field, ": CDI device \"", request.name, "\" is not defined by any CDI spec"));
    }
    devices.push_back(device);
  }
  std::set<const CdiSpec*> applied_specs;
  for (size_t i = 0; i < devices.size(); ++i) {
    const CdiDevice& device = *devices[i];
    if (applied_specs.insert(device.spec.get()).second) {
      if (absl::Status s = ApplyCdiEdits(device.spec->edits, requests[i].name, spec); !s.ok()) return s;
    }
    if (absl::Status s = ApplyCdiEdits(*device.edits, requests[i].name, spec); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace cloison::oci
