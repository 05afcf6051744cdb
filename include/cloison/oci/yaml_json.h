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

// INVALID_ARGUMENT with yaml-cpp's message (line and column) when `text` is not YAML, and
// "invalid YAML: ..." when a key or string is not UTF-8 (JSON strings are Unicode), when the
// tree nests deeper than 256 levels, or when expanding its aliases would build a tree larger
// than 1 MiB plus twice the text (an "alias bomb", or a node that holds itself).
absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view text);

}  // namespace cloison::oci
