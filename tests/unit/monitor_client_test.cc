// runtime::CallMonitor: one request and its reply over a SOCK_SEQPACKET socket file; an empty,
// relative or "@name" control socket path is INVALID_ARGUMENT naming the field, and no
// connection is attempted; a path nobody listens on is UNAVAILABLE. Also what the daemon reads
// back from its monitors (ctl replies, exit files): fields of the wrong type are errors, never
// exceptions.
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
#include "cloison/runtime/monitor_launch.h"
#include "cloison/runtime/runtime.h"
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

// A monitor that answers one request with `reply` (it stops waiting after kTimeout).
std::thread AnswerOnce(const util::UniqueFd& listener, std::string reply) {
  return std::thread([&listener, reply = std::move(reply)] {
    pollfd pending{listener.get(), POLLIN, 0};
    if (poll(&pending, 1, static_cast<int>(std::chrono::milliseconds(kTimeout).count())) != 1) return;
    util::UniqueFd connection(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buffer[4096];
    if (recv(connection.get(), buffer, sizeof(buffer), 0) <= 0) return;
    (void)!send(connection.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  });
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

TEST(StartThroughMonitor, RepliesOfTheWrongShapeAreFailuresNotExceptions) {
  cloison::testing::TempDir dir;
  CreateRequest request;
  request.socket_dir = dir.path().string();
  absl::StatusOr<util::UnixAddress> address = util::UnixSocketAddress(request.socket_dir + "/ctl");
  ASSERT_TRUE(address.ok()) << address.status();
  util::UniqueFd listener = SeqpacketListener(*address);
  ASSERT_TRUE(listener.valid()) << std::strerror(errno);
  const std::pair<const char*, const char*> cases[] = {
      {R"({"ok":true})", ""},
      {R"({"ok":false,"message":"no such file"})", "runc start failed: no such file"},
      {R"({"ok":"true","message":5})", "runc start failed: unknown error"},
      {R"({"ok":1,"message":["a"]})", "runc start failed: unknown error"},
      {R"({"ok":false,"message":null})", "runc start failed: unknown error"},
  };
  for (const auto& [reply, message] : cases) {
    std::thread monitor = AnswerOnce(listener, reply);
    const absl::Status status = StartThroughMonitor(request, "runc");
    monitor.join();
    if (*message == '\0') {
      EXPECT_TRUE(status.ok()) << reply << ": " << status;
    } else {
      EXPECT_TRUE(absl::IsFailedPrecondition(status)) << reply << ": " << status;
      EXPECT_EQ(status.message(), message) << reply;
    }
  }
}

// The exit file is the monitor's; a damaged one (a field of another type, a number out of
// range) is DATA_LOSS naming the file and the field.
TEST(ReadExitFile, FieldsOfTheWrongTypeAreDataLossNamingTheField) {
  cloison::testing::TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"exit_code":"137"})", "\"exit_code\" must be an integer, not string"},
      {R"({"exit_code":4294967296})", "\"exit_code\" is out of range: 4294967296"},
      {R"({"exit_code":1.5})", "\"exit_code\" must be an integer, not number"},
      {R"({"exit_code":0,"signal":[9]})", "\"signal\" must be an integer, not array"},
      {R"({"exit_code":0,"exited_at":18446744073709551615})", "\"exited_at\" is out of range"},
      {R"({"exit_code":0,"oom_killed":"yes"})", "\"oom_killed\" must be a boolean, not string"},
  };
  for (const auto& [content, message] : cases) {
    const std::string path = dir.Write("exit", content);
    const absl::Status status = ReadExitFile(path).status();
    EXPECT_TRUE(absl::IsDataLoss(status)) << content << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr("exit file " + path)) << content;
    EXPECT_THAT(status.message(), HasSubstr(message)) << content;
  }
  // Missing and null fields keep their defaults, as before.
  absl::StatusOr<ExitRecord> sparse = ReadExitFile(dir.Write("exit", R"({"signal":null})"));
  ASSERT_TRUE(sparse.ok()) << sparse.status();
  EXPECT_EQ(sparse->exit_code, -1);
  EXPECT_EQ(sparse->signal, 0);
  EXPECT_EQ(sparse->exited_at_ns, 0);
  EXPECT_FALSE(sparse->oom_killed);
}

}  // namespace
}  // namespace cloison::runtime
