// File replacement: the new content is written to a temporary file beside the target and
// renamed over it, so a reader sees the old file or the new one, never a torn one.
// WriteFileAtomically also fsyncs the file and then the directory, so that a machine crash
// leaves the old or the new file too; ReplaceFile does not, for state that ends at a reboot.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, unsigned mode = 0600);

// Atomic for readers but not durable: the same temporary file and rename, without the two
// fsyncs. For files whose life ends at a reboot anyway (everything under the state dir, which
// is on tmpfs in the default /run/cloison: bundles, pod files, pid and exit files, exec
// specs), where a fsync only buys a journal commit on the critical path.
absl::Status ReplaceFile(const std::string& path, absl::string_view content, unsigned mode = 0600);

// Reads a whole file; NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// fsyncs a directory (after renames into it).
absl::Status SyncDirectory(const std::string& dir);

}  // namespace cloison::util
