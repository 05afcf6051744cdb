#include "cloison/image/layer_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "absl/strings/str_cat.h"
#include "cloison/image/in_root_fs.h"
#include "cloison/util/logging.h"

namespace cloison::image {
namespace {

using util::UniqueFd;

constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

// Prefixes a status from a helper that does not know the entry's path.
absl::Status WithPath(const absl::Status& status, absl::string_view path, absl::string_view what) {
  return absl::Status(status.code(), absl::StrCat("/", path, ": ", what, ": ", status.message()));
}

// Removes whatever `name` in `parent_fd` is, so that a new entry can be created there.
absl::Status ClearName(int parent_fd, const std::string& name, const std::string& path) {
  absl::Status removed = RemoveAllAt(parent_fd, name);
  return removed.ok() ? removed : WithPath(removed, path, "replacing the existing entry");
}

// Sets an xattr on `name` in `parent_fd` without following a symlink there: through the
// parent's /proc/self/fd link, since symlinks and device nodes cannot be opened for fsetxattr.
absl::Status SetXattrAt(int parent_fd, const std::string& name, const std::string& path,
                        const std::string& key, const std::string& value) {
  const std::string proc_path = absl::StrCat("/proc/self/fd/", parent_fd, "/", name);
  if (lsetxattr(proc_path.c_str(), key.c_str(), value.data(), value.size(), 0) == 0) {
    return absl::OkStatus();
  }
  if (errno == ENOTSUP) {
    spdlog::warn("layer entry /{}: the filesystem does not support xattr {}, skipped", path, key);
    return absl::OkStatus();
  }
  const int error = errno;  // read before StrCat allocates
  return InRootError(error, path, absl::StrCat("setting xattr ", key));
}

// Owner, then mode (chown clears setuid/setgid), then xattrs (chown clears
// security.capability). Symlinks have no mode of their own.
absl::Status ApplyAttributes(int parent_fd, const std::string& name, const LayerEntry& entry) {
  if (fchownat(parent_fd, name.c_str(), entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return InRootError(errno, entry.path, "changing owner");
  }
  if (entry.type != LayerEntry::Type::kSymlink &&
      fchmodat(parent_fd, name.c_str(), entry.mode & 07777, AT_SYMLINK_NOFOLLOW) != 0) {
    return InRootError(errno, entry.path, "changing mode");
  }
  for (const auto& [key, value] : entry.xattrs) {
    if (absl::Status set = SetXattrAt(parent_fd, name, entry.path, key, value); !set.ok()) return set;
  }
  return absl::OkStatus();
}

// {atime, mtime} of the entry; atime falls back to mtime.
void EntryTimes(const LayerEntry& entry, timespec times[2]) {
  times[1] = *entry.mtime;
  times[0] = entry.atime.value_or(*entry.mtime);
}

absl::Status ApplyTimes(int parent_fd, const std::string& name, const LayerEntry& entry) {
  if (!entry.mtime) return absl::OkStatus();
  timespec times[2];
  EntryTimes(entry, times);
  if (utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return InRootError(errno, entry.path, "setting times");
  }
  return absl::OkStatus();
}

// Creates a symlink, device node or fifo where nothing is.
absl::Status CreateNode(int parent_fd, const std::string& name, const LayerEntry& entry) {
  mode_t type = S_IFIFO;
  switch (entry.type) {
    case LayerEntry::Type::kSymlink:
      if (symlinkat(entry.link_target.c_str(), parent_fd, name.c_str()) != 0) {
        return InRootError(errno, entry.path, "creating symlink");
      }
      return absl::OkStatus();
    case LayerEntry::Type::kCharDevice:
      type = S_IFCHR;
      break;
    case LayerEntry::Type::kBlockDevice:
      type = S_IFBLK;
      break;
    case LayerEntry::Type::kFifo:
      break;
    case LayerEntry::Type::kRegular:
    case LayerEntry::Type::kDirectory:
    case LayerEntry::Type::kHardlink:
      return absl::InternalError(absl::StrCat("/", entry.path, ": not a node type"));
  }
  if (mknodat(parent_fd, name.c_str(), type | 0600, entry.rdev) != 0) {
    return InRootError(errno, entry.path, "creating device node or fifo");
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const DataBlock& block, const std::string& path) {
  if (block.offset < 0 || block.size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - block.offset)) {
    return absl::DataLossError(absl::StrCat("/", path, ": data offset ", block.offset, " out of range"));
  }
  size_t done = 0;
  while (done < block.size) {
    const ssize_t n = pwrite(fd, block.data + done, block.size - done,
                             static_cast<off_t>(block.offset) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return InRootError(errno, path, "writing content");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LayerWriter> LayerWriter::Create(const std::string& target_dir) {
  UniqueFd root(open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const int error = errno;
  if (!root.valid()) return absl::ErrnoToStatus(error, absl::StrCat(target_dir, ": opening unpack target"));
  absl::StatusOr<std::vector<std::string>> names = ListDir(root.get());
  if (!names.ok()) {
    return absl::Status(names.status().code(),
                        absl::StrCat(target_dir, ": listing unpack target: ", names.status().message()));
  }
  if (!names->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(target_dir, ": unpack target is not empty"));
  }
  return LayerWriter(std::move(root));
}

absl::Status LayerWriter::Write(const LayerEntry& entry, DataSource content) {
  const auto [parent_path, name] = SplitParent(entry.path);
  absl::StatusOr<UniqueFd> parent = MakeDirsInRoot(root_.get(), parent_path);
  if (!parent.ok()) return WithPath(parent.status(), entry.path, "creating parent directories");
  const int parent_fd = parent->get();

  if (entry.type == LayerEntry::Type::kDirectory) return WriteDirectory(parent_fd, name, entry);
  if (entry.type == LayerEntry::Type::kHardlink) return WriteHardlink(parent_fd, name, entry);
  if (absl::Status cleared = ClearName(parent_fd, name, entry.path); !cleared.ok()) return cleared;
  const absl::Status created = entry.type == LayerEntry::Type::kRegular
                                   ? WriteFile(parent_fd, name, entry, content)
                                   : CreateNode(parent_fd, name, entry);
  if (!created.ok()) return created;
  if (absl::Status attributes = ApplyAttributes(parent_fd, name, entry); !attributes.ok()) {
    return attributes;
  }
  return ApplyTimes(parent_fd, name, entry);
}

absl::Status LayerWriter::WriteDirectory(int parent_fd, const std::string& name,
                                         const LayerEntry& entry) {
  struct stat st {};
  const bool is_dir =
      fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  if (!is_dir) {
    if (absl::Status cleared = ClearName(parent_fd, name, entry.path); !cleared.ok()) return cleared;
    if (mkdirat(parent_fd, name.c_str(), 0700) != 0) {
      return InRootError(errno, entry.path, "creating directory");
    }
    if (fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return InRootError(errno, entry.path, "inspecting new directory");
    }
  }
  if (absl::Status attributes = ApplyAttributes(parent_fd, name, entry); !attributes.ok()) {
    return attributes;
  }
  if (entry.mtime) {
    DirTimes& record = dir_times_.emplace_back(DirTimes{entry.path, st.st_dev, st.st_ino, {}});
    EntryTimes(entry, record.times);
  }
  return absl::OkStatus();
}

absl::Status LayerWriter::WriteFile(int parent_fd, const std::string& name, const LayerEntry& entry,
                                    DataSource content) {
  UniqueFd file(openat(parent_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600));
  if (!file.valid()) return InRootError(errno, entry.path, "creating file");
  int64_t end = 0;
  for (;;) {
    absl::StatusOr<std::optional<DataBlock>> block = content();
    if (!block.ok()) return block.status();
    if (!*block) break;
    if (absl::Status written = WriteAll(file.get(), **block, entry.path); !written.ok()) {
      return written;
    }
    file_bytes_ += (*block)->size;
    end = std::max(end, (*block)->offset + static_cast<int64_t>((*block)->size));
  }
  // Extends the file over a trailing hole.
  if (ftruncate(file.get(), static_cast<off_t>(std::max(end, entry.size))) != 0) {
    return InRootError(errno, entry.path, "setting file length");
  }
  return absl::OkStatus();
}

absl::Status LayerWriter::WriteHardlink(int parent_fd, const std::string& name,
                                        const LayerEntry& entry) {
  if (entry.link_target.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("/", entry.path, ": hard link to the layer root"));
  }
  const auto [target_parent_path, target_name] = SplitParent(entry.link_target);
  absl::StatusOr<UniqueFd> target_parent = OpenDirInRoot(root_.get(), target_parent_path);
  if (!target_parent.ok()) return WithPath(target_parent.status(), entry.path, "hard link target");
  struct stat target {};
  if (fstatat(target_parent->get(), target_name.c_str(), &target, AT_SYMLINK_NOFOLLOW) != 0) {
    const int error = errno;
    return InRootError(error, entry.path, absl::StrCat("hard link target /", entry.link_target));
  }
  if (S_ISDIR(target.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("/", entry.path, ": hard link to directory /", entry.link_target));
  }
  struct stat existing {};
  if (fstatat(parent_fd, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
      existing.st_dev == target.st_dev && existing.st_ino == target.st_ino) {
    return absl::OkStatus();  // already this link
  }
  if (absl::Status cleared = ClearName(parent_fd, name, entry.path); !cleared.ok()) return cleared;
  // Without AT_SYMLINK_FOLLOW a symlink target is linked itself, never followed.
  if (linkat(target_parent->get(), target_name.c_str(), parent_fd, name.c_str(), 0) != 0) {
    const int error = errno;
    return InRootError(error, entry.path, absl::StrCat("linking to /", entry.link_target));
  }
  return absl::OkStatus();
}

absl::Status LayerWriter::WriteWhiteout(const std::string& path) {
  const auto [parent_path, name] = SplitParent(path);
  absl::StatusOr<UniqueFd> parent = MakeDirsInRoot(root_.get(), parent_path);
  if (!parent.ok()) return WithPath(parent.status(), path, "creating parent directories");
  if (absl::Status cleared = ClearName(parent->get(), name, path); !cleared.ok()) return cleared;
  if (mknodat(parent->get(), name.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    return InRootError(errno, path, "creating whiteout device");
  }
  return absl::OkStatus();
}

absl::Status LayerWriter::MarkOpaque(const std::string& dir_path) {
  absl::StatusOr<UniqueFd> dir = MakeDirsInRoot(root_.get(), dir_path);
  if (!dir.ok()) return WithPath(dir.status(), dir_path, "opaque directory");
  // Following the /proc link reaches the directory itself, never a symlink.
  const std::string proc_path = absl::StrCat("/proc/self/fd/", dir->get());
  if (setxattr(proc_path.c_str(), kOpaqueXattr, "y", 1, 0) != 0) {
    const int error = errno;
    return InRootError(error, dir_path, absl::StrCat("setting ", kOpaqueXattr));
  }
  return absl::OkStatus();
}

absl::Status LayerWriter::Finish() {
  for (const DirTimes& record : dir_times_) {
    // A directory a later entry removed or replaced keeps no times of its own.
    const auto [parent_path, name] = SplitParent(record.path);
    absl::StatusOr<UniqueFd> parent = OpenDirInRoot(root_.get(), parent_path);
    struct stat st {};
    if (!parent.ok() || fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode) || st.st_dev != record.dev || st.st_ino != record.ino) {
      continue;
    }
    if (utimensat(parent->get(), name.c_str(), record.times, AT_SYMLINK_NOFOLLOW) != 0) {
      return InRootError(errno, record.path, "setting directory times");
    }
  }
  dir_times_.clear();
  return absl::OkStatus();
}

}  // namespace cloison::image
