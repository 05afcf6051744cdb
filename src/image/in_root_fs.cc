#include "cloison/image/in_root_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cloison::image {
namespace {

using util::UniqueFd;

// RESOLVE_IN_ROOT lookups fail with EAGAIN when a rename races with them; a few retries suffice.
constexpr int kResolveRetries = 16;

// "<what> <name>: <strerror(error)>", for names relative to a directory descriptor.
absl::Status ErrnoErrorAt(int error, absl::string_view what, absl::string_view name) {
  return absl::ErrnoToStatus(error, absl::StrCat(what, " ", name));
}

// openat2 with `root_fd` as "/" for the lookup; returns -1 and sets errno on failure.
int OpenInRoot(int root_fd, const std::string& clean_path, uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* path = clean_path.empty() ? "." : clean_path.c_str();
  for (int attempt = 0;; ++attempt) {
    const long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || (errno == EAGAIN && attempt < kResolveRetries)) continue;
    return -1;
  }
}

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

// Creates directory `name` in `parent_fd` with mode 0755 whatever the umask, unless it exists.
absl::Status MakeDirAt(int parent_fd, const std::string& name, const std::string& path) {
  if (mkdirat(parent_fd, name.c_str(), 0755) != 0) {
    if (errno == EEXIST) return absl::OkStatus();
    return InRootError(errno, path, "creating parent directory");
  }
  UniqueFd dir(openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid() || fchmod(dir.get(), 0755) != 0) {
    return InRootError(errno, path, "setting mode of new parent directory");
  }
  return absl::OkStatus();
}

// Removes `name` in `parent_fd` unless it is a directory (or missing); true for a directory.
absl::StatusOr<bool> RemoveUnlessDirectory(int parent_fd, const std::string& name) {
  struct stat st {};
  if (fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return ErrnoErrorAt(errno, "inspecting", name);
  }
  if (S_ISDIR(st.st_mode)) return true;
  if (unlinkat(parent_fd, name.c_str(), 0) != 0) return ErrnoErrorAt(errno, "removing", name);
  return false;
}

// A directory RemoveAllAt is emptying: open, with the names in it still to remove.
struct DirBeingEmptied {
  UniqueFd fd;
  std::string name;  // in its parent
  std::vector<std::string> children;
};

absl::StatusOr<DirBeingEmptied> OpenToEmpty(int parent_fd, const std::string& name) {
  UniqueFd dir(openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) return ErrnoErrorAt(errno, "opening", name);
  absl::StatusOr<std::vector<std::string>> children = ListDir(dir.get());
  if (!children.ok()) return children.status();
  return DirBeingEmptied{std::move(dir), name, *std::move(children)};
}

}  // namespace

absl::Status InRootError(int error, absl::string_view clean_path, absl::string_view what) {
  return absl::ErrnoToStatus(error, absl::StrCat("/", clean_path, ": ", what));
}

std::string CleanPath(absl::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

std::pair<std::string, std::string> SplitParent(const std::string& clean_path) {
  const size_t slash = clean_path.rfind('/');
  if (slash == std::string::npos) return {"", clean_path};
  return {clean_path.substr(0, slash), clean_path.substr(slash + 1)};
}

absl::StatusOr<UniqueFd> OpenDirInRoot(int root_fd, const std::string& clean_path) {
  UniqueFd dir(OpenInRoot(root_fd, clean_path, O_PATH | O_DIRECTORY));
  if (!dir.valid()) return InRootError(errno, clean_path, "opening directory inside the layer root");
  return dir;
}

absl::StatusOr<UniqueFd> MakeDirsInRoot(int root_fd, const std::string& clean_path) {
  UniqueFd dir(OpenInRoot(root_fd, clean_path, O_PATH | O_DIRECTORY));
  if (dir.valid()) return dir;
  if (errno != ENOENT) return InRootError(errno, clean_path, "opening directory inside the layer root");

  absl::StatusOr<UniqueFd> current = OpenDirInRoot(root_fd, "");
  if (!current.ok()) return current.status();
  std::string prefix;
  for (absl::string_view name : absl::StrSplit(clean_path, '/')) {
    prefix = prefix.empty() ? std::string(name) : absl::StrCat(prefix, "/", name);
    UniqueFd next(OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY));
    if (!next.valid() && errno == ENOENT) {
      if (absl::Status made = MakeDirAt(current->get(), std::string(name), prefix); !made.ok()) {
        return made;
      }
      next.reset(OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY));
      if (!next.valid() && errno == ENOENT) {
        return absl::FailedPreconditionError(
            absl::StrCat("/", prefix, ": is a dangling symlink, cannot create a directory through it"));
      }
    }
    if (!next.valid()) return InRootError(errno, prefix, "opening directory inside the layer root");
    *current = std::move(next);
  }
  return current;
}

absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd) {
  UniqueFd copy(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) return absl::ErrnoToStatus(errno, "duplicating directory descriptor");
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(copy.get()));
  if (!dir) return absl::ErrnoToStatus(errno, "reading directory");
  copy.release();  // now owned by `dir`
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = readdir(dir.get())) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  if (errno != 0) return absl::ErrnoToStatus(errno, "reading directory");
  return names;
}

absl::Status RemoveAllAt(int parent_fd, const std::string& name) {
  absl::StatusOr<bool> is_directory = RemoveUnlessDirectory(parent_fd, name);
  if (!is_directory.ok() || !*is_directory) return is_directory.status();
  // Depth first over a stack of open directories rather than by recursion: a layer can nest
  // directories tens of thousands deep (each entry path resolves through symlinks to the
  // deepest one so far), deeper than a thread's stack has room for frames.
  std::vector<DirBeingEmptied> open;
  absl::StatusOr<DirBeingEmptied> top = OpenToEmpty(parent_fd, name);
  if (!top.ok()) return top.status();
  open.push_back(*std::move(top));
  while (!open.empty()) {
    DirBeingEmptied& dir = open.back();
    if (dir.children.empty()) {
      const std::string emptied = std::move(dir.name);
      open.pop_back();
      const int parent = open.empty() ? parent_fd : open.back().fd.get();
      if (unlinkat(parent, emptied.c_str(), AT_REMOVEDIR) != 0) {
        return ErrnoErrorAt(errno, "removing directory", emptied);
      }
      continue;
    }
    const std::string child = std::move(dir.children.back());
    dir.children.pop_back();
    is_directory = RemoveUnlessDirectory(dir.fd.get(), child);
    if (!is_directory.ok()) return is_directory.status();
    if (!*is_directory) continue;
    absl::StatusOr<DirBeingEmptied> opened = OpenToEmpty(dir.fd.get(), child);
    if (!opened.ok()) return opened.status();
    open.push_back(*std::move(opened));
  }
  return absl::OkStatus();
}

}  // namespace cloison::image
