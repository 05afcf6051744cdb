// runtime::CallMonitor: one request and its reply over a SOCK_SEQPACKET socket file; an empty,
// relative or "@name" control socket path is INVALID_ARGUMENT naming the field, and no
// connection is attempted; a path nobody listens on is UNAVAILABLE.
#include "cloison/runtime/monitor_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::runtime {
namespace {

using ::testing::HasSubstr;

constexpr std::chrono::seconds kTimeout(30);

// Non-blocking: an accept4 with nobody connecting returns at once.
util::UniqueFd SeqpacketListener(const util::UnixAddress& address) {
  util::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (bind(fd.get(), address.get(), address.length) != 0 || listen(fd.get(), 1) != 0) return util::UniqueFd();
  return fd;
}

TEST(CallMonitor, SendsTheRequestAndReturnsTheReply) {
  cloison::testing::TempDir dir;
  const std::string path = (dir.path() / "ctl").string();
  absl::StatusOr<util::UnixAddress> address = util::UnixSocketAddress(path);
  ASSERT_TRUE(address.ok()) << address.status();
  util::UniqueFd listener = SeqpacketListener(*address);
  ASSERT_TRUE(listener.valid()) << std::strerror(errno);
  std::string received;
  std::thread monitor([&] {
    pollfd pending{listener.get(), POLLIN, 0};
    if (poll(&pending, 1, static_cast<int>(std::chrono::milliseconds(kTimeout).count())) != 1) return;
    util::UniqueFd connection(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buffer[4096];
    const ssize_t n = recv(connection.get(), buffer, sizeof(buffer), 0);
    if (n > 0) received.assign(buffer, static_cast<size_t>(n));
    const std::string reply = R"({"ok":true})";
    (void)!send(connection.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  });
  absl::StatusOr<nlohmann::json> reply = CallMonitor(path, {{"op", "state"}}, kTimeout);
  monitor.join();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ((*reply)["ok"], true);
  EXPECT_EQ(nlohmann::json::parse(received, nullptr, false), nlohmann::json({{"op", "state"}}));
}

TEST(CallMonitor, EmptyPathIsInvalidArgumentNamingTheField) {
  const absl::Status status = CallMonitor("", {{"op", "state"}}, kTimeout).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(status.message(), "monitor control socket path is empty");
}

TEST(CallMonitor, RefusesAbstractNamesAndRelativePathsWithoutConnecting) {
  const std::string name = absl::StrCat("@cloison-monitor-client-test-", getpid());
  absl::StatusOr<util::UnixAddress> address = util::UnixSocketAddress(name);
  ASSERT_TRUE(address.ok()) << address.status();
  util::UniqueFd listener = SeqpacketListener(*address);
  ASSERT_TRUE(listener.valid()) << std::strerror(errno);

  const absl::Status abstract = CallMonitor(name, {{"op", "state"}}, kTimeout).status();
  EXPECT_TRUE(absl::IsInvalidArgument(abstract)) << abstract;
  EXPECT_THAT(abstract.message(), HasSubstr("monitor control socket path \"" + name + "\" is an abstract socket name"));
  const absl::Status relative = CallMonitor("state/ctl", {{"op", "state"}}, kTimeout).status();
  EXPECT_TRUE(absl::IsInvalidArgument(relative)) << relative;
  EXPECT_THAT(relative.message(), HasSubstr("not an absolute path"));
  // Nothing connected to the abstract listener.
  EXPECT_FALSE(util::UniqueFd(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)).valid());
}

TEST(CallMonitor, NoListenerIsUnavailable) {
  cloison::testing::TempDir dir;
  const std::string path = (dir.path() / "ctl").string();
  const absl::Status status = CallMonitor(path, {{"op", "state"}}, kTimeout).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("container monitor not reachable at " + path));
}

}  // namespace
}  // namespace cloison::runtime
