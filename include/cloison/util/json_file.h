// Reads a file that holds one JSON object (a bundle's config.json, an exec's process spec, an
// exit file, a cache record): the parsed object, or an error naming the file.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::util {

// NOT_FOUND when the file does not exist (as ReadFile); DATA_LOSS when its content is not valid
// JSON or not an object.
absl::StatusOr<nlohmann::json> ReadJsonObjectFile(const std::string& path);

}  // namespace cloison::util
