#include "cloison/util/unix_address.h"

#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cloison::util {

absl::StatusOr<UnixAddress> UnixSocketAddress(absl::string_view path) {
  UnixAddress address;
  const bool abstract = !path.empty() && path[0] == '@';
  const size_t used = path.size() + (abstract ? 0 : 1);  // a path keeps its NUL terminator
  if (path.empty() || used > sizeof(address.storage.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("unix socket path \"", path, "\" is empty or longer than ",
                                                   sizeof(address.storage.sun_path) - 1, " bytes"));
  }
  address.storage.sun_family = AF_UNIX;
  std::memcpy(address.storage.sun_path, path.data(), path.size());
  if (abstract) address.storage.sun_path[0] = '\0';
  address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + used);
  return address;
}

}  // namespace cloison::util
