#include "cloison/util/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"

namespace cloison::util {

absl::Status MakeDirs(const std::string& dir, unsigned mode) {
  const std::filesystem::path target(dir);
  std::filesystem::path partial;
  for (const auto& part : target) {
    partial /= part;
    if (mkdir(partial.c_str(), mode) == 0) {
      if (chmod(partial.c_str(), mode) != 0) {
        return util::SystemCallError("chmod ", partial.native());
      }
    } else if (errno != EEXIST) {
      return util::SystemCallError("mkdir ", partial.native());
    }
  }
  struct stat st{};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
  }
  return absl::OkStatus();
}

bool SocketAnswers(const std::string& path) {
  const absl::StatusOr<UnixAddress> address = UnixSocketFileAddress(path, "socket path");
  if (!address.ok()) return false;
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  return connect(fd.get(), address->get(), address->length) == 0;
}

absl::Status PrepareListenPath(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  if (absl::Status s = MakeDirs(parent, 0711); !s.ok()) return s;
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return util::SystemCallError("stat ", path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
  }
  if (SocketAnswers(path)) {
    return absl::AlreadyExistsError(
        absl::StrCat("another instance is already serving on ", path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return util::SystemCallError("removing stale socket ", path);
  }
  return absl::OkStatus();
}

}  // namespace cloison::util
