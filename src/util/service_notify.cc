#include "cloison/util/service_notify.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"

namespace cloison::util {

absl::Status NotifyServiceManager(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || *env == '\0') return absl::OkStatus();
  const std::string path(env);
  if (path[0] != '/' && path[0] != '@') {
    return absl::InvalidArgumentError(absl::StrCat("NOTIFY_SOCKET ", path, " is no unix socket address"));
  }
  absl::StatusOr<UnixAddress> address = UnixSocketAddress(path, "NOTIFY_SOCKET");
  if (!address.ok()) return address.status();
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return SystemCallErrorOf(absl::StatusCode::kUnavailable, errno, "socket for NOTIFY_SOCKET");
  }
  if (sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, address->get(), address->length) < 0) {
    const int error = errno;
    return SystemCallErrorOf(absl::StatusCode::kUnavailable, error, absl::StrCat("send to NOTIFY_SOCKET ", path));
  }
  return absl::OkStatus();
}

}  // namespace cloison::util
