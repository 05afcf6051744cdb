// Path operations confined to a root directory: every lookup treats `root_fd` as "/" (openat2
// RESOLVE_IN_ROOT), so neither ".." nor a symlink, absolute or relative, can reach outside it.
// Callers name the final component themselves and act on it with *at() calls that do not
// follow symlinks.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/util/unique_fd.h"

namespace cloison::image {

// Cleans a path lexically, the way an archive entry name is read: leading '/' dropped, "" and
// "." components removed, ".." removes the previous component and clamps at the top. The root
// itself is "". Example: "/a/./b/../../../c/" -> "c".
std::string CleanPath(absl::string_view path);

// Splits a cleaned, non-empty path into its parent ("" for the root) and last component.
std::pair<std::string, std::string> SplitParent(const std::string& clean_path);

// Opens the directory `clean_path` resolved inside the root, as an O_PATH descriptor.
absl::StatusOr<util::UniqueFd> OpenDirInRoot(int root_fd, const std::string& clean_path);

// Like OpenDirInRoot, but first creates missing directories (mode 0755, owned by the caller),
// each in the in-root resolution of its parent. A component that exists as anything but a
// directory, or as a dangling symlink, is an error.
absl::StatusOr<util::UniqueFd> MakeDirsInRoot(int root_fd, const std::string& clean_path);

// Names in the directory open as `dir_fd` (an O_RDONLY descriptor), without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd);

// "/<clean_path>: <what>: <strerror(error)>", with the code errno maps to (NOT_FOUND,
// PERMISSION_DENIED...): how a failed operation on an entry inside the root reads.
absl::Status InRootError(int error, absl::string_view clean_path, absl::string_view what);

// Removes `name` in directory `parent_fd` without following symlinks: a directory with all
// it contains, anything else by unlinking it. A missing entry is not an error. Any depth of
// nesting: no recursion, one open descriptor per level.
absl::Status RemoveAllAt(int parent_fd, const std::string& name);

}  // namespace cloison::image
