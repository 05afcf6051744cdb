// The entries of one directory, read without exceptions: std::filesystem's directory iterators
// throw from ++ (and so from a range-for) when reading the directory fails, and cloisond has no
// try/catch around the places that list its own directories or an operator's.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cloison::util {

// One entry: its name and its type as lstat sees it (a symlink is a symlink, not its target).
struct DirectoryEntry {
  std::string name;
  std::filesystem::file_type type = std::filesystem::file_type::unknown;
};

// The entries of `dir` other than "." and "..", sorted by name. A directory that does not exist
// gives NOT_FOUND; one that cannot be read, INTERNAL naming it. An entry whose type needs an
// lstat (no d_type from the file system) and that vanished meanwhile has type `not_found`.
absl::StatusOr<std::vector<DirectoryEntry>> ListDirectory(const std::string& dir);

}  // namespace cloison::util
