#include "cloison/util/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/util/unique_fd.h"

namespace cloison::util {

absl::Status NotifyServiceManager(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || *env == '\0') return absl::OkStatus();
  const std::string path(env);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const bool abstract = path[0] == '@';  // the abstract namespace: a leading NUL, no terminator
  if ((path[0] != '/' && !abstract) || path.size() + (abstract ? 0 : 1) > sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("NOTIFY_SOCKET ", path, " is no unix socket address"));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (abstract) address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::UnavailableError(absl::StrCat("socket for NOTIFY_SOCKET: ", std::strerror(errno)));
  if (sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address),
             length) < 0) {
    return absl::UnavailableError(absl::StrCat("send to NOTIFY_SOCKET ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace cloison::util
