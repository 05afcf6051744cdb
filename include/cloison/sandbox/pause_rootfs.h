// The root filesystem of a pod's infra container, built from the cloison-pause binary rather
// than pulled as an image: the binary as /pause (0755) and the empty mount points runc needs
// (proc, dev, sys, etc).
#pragma once

#include <string>

#include "absl/status/status.h"

namespace cloison::sandbox {

// Builds the rootfs in `dir` (created if missing). Idempotent: /pause is rewritten (atomically)
// only when its content differs from `pause_binary`.
absl::Status BuildPauseRootfs(const std::string& pause_binary, const std::string& dir);

}  // namespace cloison::sandbox
