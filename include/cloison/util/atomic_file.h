// Durable file replacement: the new content is written to a temporary file beside the target,
// fsync'd, renamed over the target and the directory fsync'd, so a crash leaves either the
// old file or the new one, never a torn one.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, unsigned mode = 0600);

// Reads a whole file; NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// fsyncs a directory (after renames into it).
absl::Status SyncDirectory(const std::string& dir);

}  // namespace cloison::util
