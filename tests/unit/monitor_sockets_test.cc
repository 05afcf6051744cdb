// monitor::Listen: listens on an absolute socket path (replacing a stale socket there); an empty,
// relative or "@name" path is INVALID_ARGUMENT naming the field, and nothing is bound or unlinked.
#include "cloison/monitor/sockets.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace cloison::monitor
