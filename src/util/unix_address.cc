#include "cloison/util/unix_address.h"

#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cloison::util {

absl::StatusOr<UnixAddress> UnixSocketAddress(absl::string_view path, absl::string_view field) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  UnixAddress address;
  const bool abstract = path[0] == '@';
  const size_t used = path.size() + (abstract ? 0 : 1);  // a path keeps its NUL terminator
  if (used > sizeof(address.storage.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " \"", path, "\" is longer than a unix socket ",
                                                   abstract ? "name" : "path", " may be (",
                                                   sizeof(address.storage.sun_path) - 1, " bytes)"));
  }
  address.storage.sun_family = AF_UNIX;
  std::memcpy(address.storage.sun_path, path.data(), path.size());
  if (abstract) address.storage.sun_path[0] = '\0';
  address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + used);
  return address;
}

absl::StatusOr<UnixAddress> UnixSocketFileAddress(absl::string_view path, absl::string_view field) {
  if (!path.empty() && path[0] == '@') {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", path, "\" is an abstract socket name; a filesystem path is needed"));
  }
  if (!path.empty() && path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(field, " \"", path, "\" is not an absolute path"));
  }
  return UnixSocketAddress(path, field);
}

}  // namespace cloison::util
