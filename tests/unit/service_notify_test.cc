#include "cloison/util/service_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cloison/util/unique_fd.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

// Sets $NOTIFY_SOCKET for one test and unsets it at the end.
class NotifySocketEnv {
 public:
  explicit NotifySocketEnv(const std::string& value) { setenv("NOTIFY_SOCKET", value.c_str(), 1); }
  ~NotifySocketEnv() { unsetenv("NOTIFY_SOCKET"); }
  NotifySocketEnv(const NotifySocketEnv&) = delete;
  NotifySocketEnv& operator=(const NotifySocketEnv&) = delete;
};

// A datagram socket bound to `name` ("@..." for the abstract namespace), as systemd listens.
UniqueFd BoundDatagramSocket(const std::string& name) {
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name.data(), name.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    address.sun_path[0] = '\0';
  } else {
    ++length;
  }
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length), 0) << std::strerror(errno);
  return fd;
}

std::string Receive(const UniqueFd& fd) {
  char buffer[256];
  const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
  return n < 0 ? std::string("(nothing: ") + std::strerror(errno) + ")" : std::string(buffer, static_cast<size_t>(n));
}

TEST(NotifyServiceManager, SendsTheStateToAPathSocket) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "notify").string();
  UniqueFd listener = BoundDatagramSocket(path);
  NotifySocketEnv env(path);
  ASSERT_TRUE(NotifyServiceManager("READY=1\nSTATUS=serving CRI v1").ok());
  EXPECT_EQ(Receive(listener), "READY=1\nSTATUS=serving CRI v1");
}

TEST(NotifyServiceManager, SendsTheStateToAnAbstractSocket) {
  const std::string name = "@cloison-notify-test-" + std::to_string(getpid());
  UniqueFd listener = BoundDatagramSocket(name);
  NotifySocketEnv env(name);
  ASSERT_TRUE(NotifyServiceManager("STOPPING=1").ok());
  EXPECT_EQ(Receive(listener), "STOPPING=1");
}

TEST(NotifyServiceManager, DoesNothingWithoutNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyServiceManager("READY=1").ok());
}

TEST(NotifyServiceManager, RefusesAnAddressThatIsNoSocketPath) {
  NotifySocketEnv env("relative/notify");
  EXPECT_EQ(NotifyServiceManager("READY=1").code(), absl::StatusCode::kInvalidArgument);
}

TEST(NotifyServiceManager, ReportsASocketNobodyListensOn) {
  testing::TempDir dir;
  NotifySocketEnv env((dir.path() / "absent").string());
  EXPECT_EQ(NotifyServiceManager("READY=1").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cloison::util
