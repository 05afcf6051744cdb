// Renders a Config for people and tools: TOML in the cloison.toml layout (`cloisond config`)
// and JSON (the verbose Status info["config"]).
#pragma once

#include <string>

#include "cloison/config/config.h"
#include "nlohmann/json.hpp"

namespace cloison::config {

std::string ToToml(const Config& config);
nlohmann::json ToJson(const Config& config);

}  // namespace cloison::config
