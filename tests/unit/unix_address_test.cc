// util::UnixSocketAddress: a filesystem path and an "@" abstract name both bind and connect
// through the address it fills; empty and too long paths are refused, each with its own message
// naming the field. UnixSocketFileAddress takes absolute paths only.
#include "cloison/util/unix_address.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/util/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

UniqueFd ListenAt(const UnixAddress& address) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (bind(fd.get(), address.get(), address.length) != 0 || listen(fd.get(), 1) != 0) return UniqueFd();
  return fd;
}

bool ConnectsTo(const UnixAddress& address) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return connect(fd.get(), address.get(), address.length) == 0;
}

TEST(UnixAddressTest, FilesystemPathBindsAndConnects) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "s.sock").string();
  absl::StatusOr<UnixAddress> address = UnixSocketAddress(path);
  ASSERT_TRUE(address.ok()) << address.status();
  UniqueFd server = ListenAt(*address);
  ASSERT_TRUE(server.valid()) << std::strerror(errno);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_TRUE(ConnectsTo(*address));
}

TEST(UnixAddressTest, AtNameIsAbstract) {
  const std::string name = absl::StrCat("@cloison-unix-address-test-", getpid());
  absl::StatusOr<UnixAddress> address = UnixSocketAddress(name);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->storage.sun_path[0], '\0');
  UniqueFd server = ListenAt(*address);
  ASSERT_TRUE(server.valid()) << std::strerror(errno);
  EXPECT_FALSE(std::filesystem::exists(name));  // no file, not even relative to the working directory
  EXPECT_TRUE(ConnectsTo(*address));
  sockaddr_un bound{};
  socklen_t length = sizeof(bound);
  ASSERT_EQ(getsockname(server.get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  EXPECT_EQ(std::string(bound.sun_path + 1, length - offsetof(sockaddr_un, sun_path) - 1), name.substr(1));
}

TEST(UnixAddressTest, RefusesEmptyAndTooLongPaths) {
  const size_t capacity = sizeof(sockaddr_un::sun_path);
  EXPECT_TRUE(absl::IsInvalidArgument(UnixSocketAddress("").status()));
  EXPECT_TRUE(UnixSocketAddress("/" + std::string(capacity - 2, 'a')).ok());  // the NUL fills the last byte
  EXPECT_TRUE(absl::IsInvalidArgument(UnixSocketAddress("/" + std::string(capacity - 1, 'a')).status()));
  EXPECT_TRUE(UnixSocketAddress("@" + std::string(capacity - 1, 'a')).ok());  // no terminator
  EXPECT_TRUE(absl::IsInvalidArgument(UnixSocketAddress("@" + std::string(capacity, 'a')).status()));
}

TEST(UnixAddressTest, EmptyAndTooLongHaveTheirOwnMessagesNamingTheField) {
  const absl::Status empty = UnixSocketAddress("", "ttrpc address").status();
  EXPECT_TRUE(absl::IsInvalidArgument(empty));
  EXPECT_EQ(empty.message(), "ttrpc address is empty");

  const std::string long_path = "/" + std::string(sizeof(sockaddr_un::sun_path), 'a');
  const absl::Status too_long = UnixSocketAddress(long_path, "ttrpc address").status();
  EXPECT_TRUE(absl::IsInvalidArgument(too_long));
  EXPECT_THAT(too_long.message(), HasSubstr(absl::StrCat("ttrpc address \"", long_path, "\" is longer than")));
  EXPECT_THAT(too_long.message(), HasSubstr(absl::StrCat(sizeof(sockaddr_un::sun_path) - 1, " bytes")));
  EXPECT_THAT(too_long.message(), Not(HasSubstr("empty")));
}

TEST(UnixAddressTest, FileAddressTakesAbsolutePathsOnly) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "s.sock").string();
  absl::StatusOr<UnixAddress> address = UnixSocketFileAddress(path, "events socket path");
  ASSERT_TRUE(address.ok()) << address.status();
  UniqueFd server = ListenAt(*address);
  ASSERT_TRUE(server.valid()) << std::strerror(errno);
  EXPECT_TRUE(ConnectsTo(*address));

  const absl::Status abstract = UnixSocketFileAddress("@cloison-name", "events socket path").status();
  EXPECT_TRUE(absl::IsInvalidArgument(abstract));
  EXPECT_EQ(abstract.message(),
            "events socket path \"@cloison-name\" is an abstract socket name; a filesystem path is needed");
  const absl::Status relative = UnixSocketFileAddress("run/s.sock", "events socket path").status();
  EXPECT_TRUE(absl::IsInvalidArgument(relative));
  EXPECT_EQ(relative.message(), "events socket path \"run/s.sock\" is not an absolute path");
  const absl::Status empty = UnixSocketFileAddress("", "events socket path").status();
  EXPECT_TRUE(absl::IsInvalidArgument(empty));
  EXPECT_EQ(empty.message(), "events socket path is empty");
  EXPECT_TRUE(absl::IsInvalidArgument(
      UnixSocketFileAddress("/" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'a'), "x").status()));
}

}  // namespace
}  // namespace cloison::util
