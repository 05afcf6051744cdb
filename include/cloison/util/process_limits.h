// What this process may hand on to containers: the capabilities it holds (a privileged or
// add-ALL container gets these, never a fixed list: runc refuses capabilities outside its
// bounding set) and its own oom_score_adj (the lowest value a container may ask for without
// CAP_SYS_RESOURCE, as containerd's restrict_oom_score_adj).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cloison::util {

// Names ("CAP_CHOWN", ...) of the capabilities in this process's effective set.
std::vector<std::string> HeldCapabilities();

// The number linux/capability.h gives capability `name` ("CAP_CHOWN" -> 0), if it knows it.
std::optional<int> CapabilityNumber(const std::string& name);

// This process's oom_score_adj; when it lacks CAP_SYS_RESOURCE, containers cannot go lower.
int64_t MinimumOomScoreAdj();

}  // namespace cloison::util
