// YAML text to a JSON value (yaml-cpp), for YAML files read into nlohmann::json (CDI specs).
// Quoted scalars are strings; plain scalars are resolved as YAML 1.1 does (and Go's
// sigs.k8s.io/yaml, which CDI's reference implementation uses): ~/null/empty are null,
// true/false/yes/no/on/off booleans, 0x.. hex, a leading 0 octal, other numbers integers or
// floats, everything else a string. Only the first document is read.
#pragma once

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::oci {

// INVALID_ARGUMENT with yaml-cpp's message (line and column) when `text` is not YAML.
absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view text);

}  // namespace cloison::oci
