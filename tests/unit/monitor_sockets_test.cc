// monitor::Listen: listens on an absolute socket path (replacing a stale socket there); an empty,
// relative or "@name" path is INVALID_ARGUMENT naming the field, and nothing is bound or unlinked.
// ListenCtlAndAttach: both of a monitor's listeners, handed to its ctl server and attach hub.
#include "cloison/monitor/sockets.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/monitor/attach_hub.h"
#include "cloison/monitor/ctl_server.h"
#include "cloison/util/unix_address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::monitor {
namespace {

using ::testing::HasSubstr;

bool ConnectsTo(const std::string& path) {
  const absl::StatusOr<util::UnixAddress> address = util::UnixSocketAddress(path);
  util::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  return address.ok() && connect(fd.get(), address->get(), address->length) == 0;
}

TEST(MonitorListen, ReplacesAStaleSocketFile) {
  cloison::testing::TempDir dir;
  const std::string path = (dir.path() / "ctl").string();
  {
    absl::StatusOr<util::UniqueFd> stale = Listen(path, SOCK_SEQPACKET);
    ASSERT_TRUE(stale.ok()) << stale.status();
  }
  EXPECT_FALSE(ConnectsTo(path));  // closed: only the file is left
  absl::StatusOr<util::UniqueFd> fd = Listen(path, SOCK_SEQPACKET);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(ConnectsTo(path));
  EXPECT_TRUE(util::UniqueFd(accept4(fd->get(), nullptr, nullptr, SOCK_CLOEXEC)).valid());
}

TEST(MonitorListen, EmptyPathIsInvalidArgumentNamingTheField) {
  const absl::Status status = Listen("", SOCK_SEQPACKET).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(status.message(), "monitor socket path is empty");
}

// An "@name" would bind an abstract socket and unlink "@name" in the working directory.
TEST(MonitorListen, RefusesAbstractNamesAndRelativePaths) {
  cloison::testing::TempDir dir;
  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const std::string name = absl::StrCat("@cloison-monitor-sockets-test-", getpid());
  const std::string file = dir.Write(name, "not a socket");
  const absl::Status abstract = Listen(name, SOCK_SEQPACKET).status();
  const absl::Status relative = Listen("ctl", SOCK_SEQPACKET).status();
  std::filesystem::current_path(previous);

  EXPECT_TRUE(absl::IsInvalidArgument(abstract)) << abstract;
  EXPECT_THAT(abstract.message(), HasSubstr("monitor socket path \"" + name + "\" is an abstract socket name"));
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_FALSE(ConnectsTo(name));
  EXPECT_TRUE(absl::IsInvalidArgument(relative)) << relative;
  EXPECT_THAT(relative.message(), HasSubstr("monitor socket path \"ctl\" is not an absolute path"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "ctl"));
}

TEST(ListenCtlAndAttach, HandsEachListenerToItsServer) {
  cloison::testing::TempDir dir;
  const std::string ctl_path = (dir.path() / "ctl").string();
  const std::string attach_path = (dir.path() / "attach").string();
  std::string request;
  CtlServer ctl([&request](uint64_t, absl::string_view packet) { request = std::string(packet); });
  AttachHub attach(false, false);
  const absl::Status listening = ListenCtlAndAttach(ctl_path, attach_path, ctl, attach);
  ASSERT_TRUE(listening.ok()) << listening;
  EXPECT_TRUE(ConnectsTo(attach_path));

  // A packet sent to the ctl socket reaches the ctl server's handler: one poll round accepts
  // the client, the next reads it.
  const absl::StatusOr<util::UnixAddress> address = util::UnixSocketAddress(ctl_path);
  ASSERT_TRUE(address.ok()) << address.status();
  util::UniqueFd client(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(client.get(), address->get(), address->length), 0) << std::strerror(errno);
  const std::string packet = R"({"op":"state"})";
  ASSERT_EQ(send(client.get(), packet.data(), packet.size(), 0), static_cast<ssize_t>(packet.size()));
  for (int round = 0; round < 2; ++round) {
    PollSet poll;
    ctl.Watch(poll);
    poll.Run(10 * 1000);
  }
  EXPECT_EQ(request, packet);
}

TEST(ListenCtlAndAttach, ABadAttachPathFailsNamingIt) {
  cloison::testing::TempDir dir;
  CtlServer ctl([](uint64_t, absl::string_view) {});
  AttachHub attach(false, false);
  const absl::Status listening = ListenCtlAndAttach((dir.path() / "ctl").string(), "attach", ctl, attach);
  EXPECT_TRUE(absl::IsInvalidArgument(listening)) << listening;
  EXPECT_THAT(listening.message(), HasSubstr("\"attach\" is not an absolute path"));
}

}  // namespace
}  // namespace cloison::monitor
