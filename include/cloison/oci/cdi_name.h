// CDI device names (Container Device Interface spec): a fully-qualified name is
// "vendor/class=name", e.g. "vendor.com/gpu=0". A spec's "kind" is "vendor/class".
//  * vendor: starts with a letter, ends with a letter or digit; letters, digits, '-', '_', '.'
//  * class:  the same rules as vendor (dots allowed since CDI 0.6.0)
//  * name:   starts and ends with a letter or digit; letters, digits, '-', '_', '.', ':'
// Every error is INVALID_ARGUMENT and quotes the offending text.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::oci {

struct CdiName {
  std::string vendor, device_class, name;

  std::string Kind() const { return vendor + "/" + device_class; }
  std::string Qualified() const { return Kind() + "=" + name; }
};

absl::Status ValidateCdiVendor(absl::string_view vendor);
absl::Status ValidateCdiClass(absl::string_view device_class);
absl::Status ValidateCdiDeviceName(absl::string_view name);

// "vendor/class" of a spec's kind, each part validated; `name` is left empty.
absl::StatusOr<CdiName> ParseCdiKind(absl::string_view kind);

// "vendor/class=name", each part validated.
absl::StatusOr<CdiName> ParseCdiQualifiedName(absl::string_view qualified);

}  // namespace cloison::oci
