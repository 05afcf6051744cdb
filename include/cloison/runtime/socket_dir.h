// Where a container's monitor puts its ctl and attach sockets: <state>/s/<first 20 hex digits
// of the id>, short enough for a unix socket path wherever the state directory is.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"

namespace cloison::runtime {

inline std::string MonitorSocketDir(const std::string& state_dir, const std::string& container_id) {
  return absl::StrCat(state_dir, "/s/", container_id.substr(0, 20));
}

}  // namespace cloison::runtime
