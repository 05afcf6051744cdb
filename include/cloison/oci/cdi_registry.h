// The CDI devices found in the spec directories ([cdi] spec_dirs), read afresh by Load():
// every *.json and *.yaml file (not recursing) of each directory. A later directory overrides
// an earlier one for the same device; two specs of one directory that define the same device
// make that device unavailable (a conflict). A file that cannot be read or is not a valid
// spec is skipped, with its error logged and kept in errors(): it does not hide the other
// files' devices. This is what the reference implementation (CDI's pkg/cdi cache) does.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cloison/oci/cdi_spec.h"

namespace cloison::oci {

struct CdiDevice {
  std::shared_ptr<const CdiSpec> spec;  // whose spec-level edits come with the device
  const CdiContainerEdits* edits = nullptr;  // the device's own, owned by *spec
};

class CdiRegistry {
 public:
  static CdiRegistry Load(const std::vector<std::string>& spec_dirs);

  // The device by its fully-qualified name, or null.
  const CdiDevice* Find(const std::string& qualified_name) const;
  // One message per skipped file or conflict.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::map<std::string, CdiDevice> devices_;
  std::vector<std::string> errors_;
};

}  // namespace cloison::oci
