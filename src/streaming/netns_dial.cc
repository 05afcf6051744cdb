#include "cloison/streaming/netns_dial.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::streaming {

absl::StatusOr<util::UniqueFd> DialInNetns(const std::string& netns_path, uint16_t port) {
  absl::StatusOr<util::UniqueFd> result = absl::InternalError("not dialled");
  // The thread ends right after connecting, so its namespace never leaks into other work.
  const auto dial = [&] {
    if (!netns_path.empty()) {
      util::UniqueFd ns(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns.valid() || setns(ns.get(), CLONE_NEWNET) != 0) {
        result = util::SystemCallError("entering the pod's network namespace ", netns_path);
        return;
      }
    }
    util::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd.valid() || connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      const int error = errno;
      result = util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error,
                                       absl::StrCat("connecting to 127.0.0.1:", port, " in the pod"));
      return;
    }
    result = std::move(fd);
  };
  // std::thread throws when no thread can be made (a process or system limit); this runs on the
  // streaming server's thread, where nothing catches.
  std::thread dialer;
  try {
    dialer = std::thread(dial);
  } catch (const std::system_error& error) {
    return absl::ResourceExhaustedError(absl::StrCat("no thread to dial port ", port, " in the pod: ", error.what()));
  }
  dialer.join();
  return result;
}

}  // namespace cloison::streaming
