// CDI spec files (an operator's or a device plugin's, YAML or JSON): the bytes are parsed as
// both, and a spec that parses has each of its devices' edits applied to a small OCI spec,
// which must then serialize (the spec becomes config.json).
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/oci/cdi_edits.h"
#include "cloison/oci/cdi_spec.h"
#include "nlohmann/json.hpp"

namespace {

nlohmann::json BaseSpec() {
  return {{"process", {{"env", {"PATH=/bin"}}, {"user", {{"uid", 1000}, {"gid", 1000}}}}},
          {"mounts", nlohmann::json::array()},
          {"linux", {{"devices", nlohmann::json::array()}, {"resources", {{"devices", nlohmann::json::array()}}}}}};
}

void Apply(const cloison::oci::CdiSpec& spec) {
  nlohmann::json oci = BaseSpec();
  (void)cloison::oci::ApplyCdiEdits(spec.edits, "fuzz", oci);
  for (const auto& [name, edits] : spec.devices) (void)cloison::oci::ApplyCdiEdits(edits, name, oci);
  (void)oci.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* path : {"/etc/cdi/fuzz.yaml", "/etc/cdi/fuzz.json"}) {
    absl::StatusOr<cloison::oci::CdiSpec> spec = cloison::oci::ParseCdiSpec(text, path);
    if (spec.ok()) Apply(*spec);
  }
  return 0;
}
