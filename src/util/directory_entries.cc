#include "cloison/util/directory_entries.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::util {
namespace {

namespace fs = std::filesystem;

fs::file_type TypeOfMode(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return fs::file_type::regular;
    case S_IFDIR: return fs::file_type::directory;
    case S_IFLNK: return fs::file_type::symlink;
    case S_IFBLK: return fs::file_type::block;
    case S_IFCHR: return fs::file_type::character;
    case S_IFIFO: return fs::file_type::fifo;
    case S_IFSOCK: return fs::file_type::socket;
    default: return fs::file_type::unknown;
  }
}

// readdir's d_type when the file system fills it in, else what fstatat says.
fs::file_type TypeOfEntry(int dir_fd, const dirent& entry) {
  switch (entry.d_type) {
    case DT_REG: return fs::file_type::regular;
    case DT_DIR: return fs::file_type::directory;
    case DT_LNK: return fs::file_type::symlink;
    case DT_BLK: return fs::file_type::block;
    case DT_CHR: return fs::file_type::character;
    case DT_FIFO: return fs::file_type::fifo;
    case DT_SOCK: return fs::file_type::socket;
    default: break;
  }
  struct stat st {};
  if (fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return fs::file_type::not_found;
  return TypeOfMode(st.st_mode);
}

}  // namespace

absl::StatusOr<std::vector<DirectoryEntry>> ListDirectory(const std::string& dir) {
  const std::unique_ptr<DIR, int (*)(DIR*)> stream(opendir(dir.c_str()), closedir);
  if (stream == nullptr) {
    const int error = errno;
    if (error == ENOENT) return SystemCallErrorOf(absl::StatusCode::kNotFound, error, absl::StrCat("listing ", dir));
    return SystemCallErrorOf(error, absl::StrCat("listing ", dir));
  }
  std::vector<DirectoryEntry> entries;
  while (true) {
    errno = 0;
    const dirent* entry = readdir(stream.get());
    if (entry == nullptr) break;
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.push_back({name, TypeOfEntry(dirfd(stream.get()), *entry)});
  }
  if (errno != 0) return SystemCallError("listing ", dir);
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace cloison::util
