#include "cloison/runtime/monitor_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"

namespace cloison::runtime {

absl::StatusOr<nlohmann::json> CallMonitor(const std::string& control_socket, const nlohmann::json& request,
                                           std::chrono::milliseconds timeout) {
  const absl::StatusOr<util::UnixAddress> address =
      util::UnixSocketFileAddress(control_socket, "monitor control socket path");
  if (!address.ok()) return address.status();
  util::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return util::SystemCallError("socket");
  if (connect(fd.get(), address->get(), address->length) != 0) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error,
                                   absl::StrCat("container monitor not reachable at ", control_socket));
  }
  const std::string packet = request.dump();
  if (send(fd.get(), packet.data(), packet.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(packet.size())) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error, absl::StrCat("writing to ", control_socket));
  }
  pollfd pfd{fd.get(), POLLIN, 0};
  const int ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready == 0) {
    return absl::DeadlineExceededError(absl::StrCat("container monitor did not answer \"",
                                                    util::StringField(request, "op", "request").value_or(""),
                                                    "\" within ", timeout.count(), " ms"));
  }
  char buffer[65536];
  const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
  if (n <= 0) return absl::UnavailableError(absl::StrCat("container monitor closed ", control_socket));
  nlohmann::json reply = nlohmann::json::parse(std::string(buffer, static_cast<size_t>(n)), nullptr, false);
  if (!reply.is_object()) return absl::InternalError("container monitor sent a malformed reply");
  return reply;
}

}  // namespace cloison::runtime
