#include "cloison/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"

namespace cloison::util {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int error = errno;
  return SystemCallErrorOf(error == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kInternal, error,
                           absl::StrCat(what, " ", path));
}

}  // namespace

absl::Status SyncDirectory(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Errno("open", dir);
  if (fsync(fd.get()) != 0) return Errno("fsync", dir);
  return absl::OkStatus();
}

namespace {

// Writes `content` to a temporary file beside `path` and renames it over `path`; with
// `durable`, fsyncs the file before the rename and the directory after it.
absl::Status WriteAndRename(const std::string& path, absl::string_view content, unsigned mode, bool durable) {
  std::string temp = absl::StrCat(path, ".tmp-XXXXXX");
  UniqueFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return Errno("create", temp);
  auto fail = [&](absl::string_view what) {
    absl::Status status = Errno(what, temp);
    unlink(temp.c_str());
    return status;
  };
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    written += static_cast<size_t>(n);
  }
  if (fchmod(fd.get(), mode) != 0) return fail("chmod");
  if (durable && fsync(fd.get()) != 0) return fail("fsync");
  fd.reset();
  if (rename(temp.c_str(), path.c_str()) != 0) return fail("rename");
  return durable ? SyncDirectory(std::filesystem::path(path).parent_path().string()) : absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, unsigned mode) {
  return WriteAndRename(path, content, mode, true);
}

absl::Status ReplaceFile(const std::string& path, absl::string_view content, unsigned mode) {
  return WriteAndRename(path, content, mode, false);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Errno("open", path);
  std::string content;
  char buffer[65536];
  while (true) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read", path);
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

}  // namespace cloison::util
