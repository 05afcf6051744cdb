// Creates the entries of one image layer in an empty directory, in the form overlayfs reads:
// a whiteout is a 0/0 character device, an opaque directory carries trusted.overlay.opaque=y.
// Every path is resolved inside that directory (in_root_fs.h), so no entry, whatever its name
// or the symlinks written before it, creates or changes anything outside. Knows nothing about
// archive formats: layer_unpack.h feeds it.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "cloison/util/unique_fd.h"

namespace cloison::image {

struct LayerEntry {
  enum class Type { kRegular, kDirectory, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };
  Type type = Type::kRegular;
  std::string path;         // cleaned (CleanPath), never the root ""
  std::string link_target;  // kSymlink: stored verbatim; kHardlink: cleaned path of an earlier entry
  mode_t mode = 0;          // permission bits, setuid/setgid/sticky included
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<timespec> mtime;  // unset: the creation time stays
  std::optional<timespec> atime;  // unset: mtime
  dev_t rdev = 0;                 // device number of kCharDevice and kBlockDevice
  int64_t size = 0;               // kRegular: file length, holes included
  std::vector<std::pair<std::string, std::string>> xattrs;  // name, value
};

// A piece of regular-file content to write at `offset`; unwritten ranges stay holes.
struct DataBlock {
  const char* data = nullptr;
  size_t size = 0;
  int64_t offset = 0;
};
// Returns the next block of the current entry's content, or nullopt after the last one.
using DataSource = absl::FunctionRef<absl::StatusOr<std::optional<DataBlock>>()>;

class LayerWriter {
 public:
  // Opens `target_dir`, which must be an existing, empty directory.
  static absl::StatusOr<LayerWriter> Create(const std::string& target_dir);

  // Creates `entry`, first creating missing parent directories (0755) and removing whatever
  // its path holds (a directory with its contents), except that a directory entry over an
  // existing directory only updates its metadata. Owner, mode, xattrs (skipped with a warning
  // where the filesystem has no support) and times follow the entry; a hard link shares its
  // target's inode and metadata. Regular-file content is read from `content`; other types
  // never call it.
  absl::Status Write(const LayerEntry& entry, DataSource content);

  // Makes `path` (cleaned) an overlayfs whiteout, hiding it in lower layers.
  absl::Status WriteWhiteout(const std::string& path);

  // Makes the directory `dir_path` (cleaned, created if missing) opaque to lower layers.
  absl::Status MarkOpaque(const std::string& dir_path);

  // Sets directory times, which adding children would have changed; call after the last entry.
  absl::Status Finish();

  uint64_t file_bytes() const { return file_bytes_; }  // regular-file content written so far

 private:
  struct DirTimes {
    std::string path;
    dev_t dev;
    ino_t ino;
    timespec times[2];  // atime, mtime
  };

  explicit LayerWriter(util::UniqueFd root) : root_(std::move(root)) {}

  absl::Status WriteDirectory(int parent_fd, const std::string& name, const LayerEntry& entry);
  absl::Status WriteFile(int parent_fd, const std::string& name, const LayerEntry& entry,
                         DataSource content);
  absl::Status WriteHardlink(int parent_fd, const std::string& name, const LayerEntry& entry);

  util::UniqueFd root_;
  std::vector<DirTimes> dir_times_;
  uint64_t file_bytes_ = 0;
};

}  // namespace cloison::image
