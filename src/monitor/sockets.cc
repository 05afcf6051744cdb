#include "cloison/monitor/sockets.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cloison/monitor/attach_hub.h"
#include "cloison/monitor/ctl_server.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unix_address.h"

namespace cloison::monitor {

absl::StatusOr<util::UniqueFd> Listen(const std::string& path, int type) {
  const absl::StatusOr<util::UnixAddress> address = util::UnixSocketFileAddress(path, "monitor socket path");
  if (!address.ok()) return address.status();
  util::UniqueFd fd(socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return util::SystemCallError("socket");
  unlink(path.c_str());
  if (bind(fd.get(), address->get(), address->length) != 0 || listen(fd.get(), 16) != 0) {
    return util::SystemCallError("listen on ", path);
  }
  return fd;
}

absl::Status ListenCtlAndAttach(const std::string& ctl_path, const std::string& attach_path, CtlServer& ctl,
                                AttachHub& attach) {
  absl::StatusOr<util::UniqueFd> ctl_listener = Listen(ctl_path, SOCK_SEQPACKET);
  if (!ctl_listener.ok()) return ctl_listener.status();
  absl::StatusOr<util::UniqueFd> attach_listener = Listen(attach_path, SOCK_SEQPACKET);
  if (!attach_listener.ok()) return attach_listener.status();
  ctl.SetListener(std::move(*ctl_listener));
  attach.SetListener(std::move(*attach_listener));
  return absl::OkStatus();
}

util::UniqueFd AcceptPending(int listen_fd) {
  return util::UniqueFd(accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

absl::StatusOr<util::UniqueFd> ReceiveConsole(int listen_fd) {
  util::UniqueFd connection = AcceptPending(listen_fd);
  if (!connection.valid()) return absl::UnavailableError("the runtime has not connected to the console socket");
  // The runtime sends the fd right after connecting; wait for it briefly.
  pollfd ready{connection.get(), POLLIN, 0};
  if (poll(&ready, 1, 5000) <= 0) return absl::DeadlineExceededError("no pty master on the console socket");
  char name[256];
  iovec data{name, sizeof(name)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  if (recvmsg(connection.get(), &message, MSG_CMSG_CLOEXEC) < 0) {
    return util::SystemCallError("receiving the pty master");
  }
  const cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS ||
      header->cmsg_len != CMSG_LEN(sizeof(int))) {
    return absl::InternalError("the console socket message carried no file descriptor");
  }
  int master = -1;
  std::memcpy(&master, CMSG_DATA(header), sizeof(int));
  return util::UniqueFd(master);
}

}  // namespace cloison::monitor
