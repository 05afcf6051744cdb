// The cloison version this binary was built as (CRI VersionResponse.runtime_version).
#pragma once

#include <string_view>

namespace cloison::util {

std::string_view Version();

}  // namespace cloison::util
