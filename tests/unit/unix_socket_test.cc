#include "cloison/util/unix_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

UniqueFd ListenOn(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(listen(fd.get(), 1), 0);
  return fd;
}

TEST(PrepareListenPath, CreatesParentsWithMode0711) {
  testing::TempDir dir;
  const std::string socket = (dir.path() / "a/b/cri.sock").string();
  ASSERT_TRUE(PrepareListenPath(socket).ok());
  struct stat st{};
  ASSERT_EQ(stat((dir.path() / "a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  ASSERT_EQ(stat((dir.path() / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
}

TEST(PrepareListenPath, RefusesALiveSocketAndReplacesAStaleOne) {
  testing::TempDir dir;
  const std::string socket = (dir.path() / "cri.sock").string();
  {
    UniqueFd live = ListenOn(socket);
    EXPECT_TRUE(SocketAnswers(socket));
    absl::Status status = PrepareListenPath(socket);
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
    EXPECT_NE(std::string(status.message()).find(socket), std::string::npos);
  }
  // The listener is closed: the file is left behind, nobody answers.
  EXPECT_FALSE(SocketAnswers(socket));
  ASSERT_TRUE(PrepareListenPath(socket).ok());
  EXPECT_NE(access(socket.c_str(), F_OK), 0);
}

TEST(PrepareListenPath, RefusesToReplaceARegularFile) {
  testing::TempDir dir;
  const std::string file = dir.Write("not-a-socket", "data");
  EXPECT_EQ(PrepareListenPath(file).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(access(file.c_str(), F_OK), 0);
}

// SocketAnswers checks a socket file: an "@name" is no file, even when an abstract socket of
// that name listens.
TEST(SocketAnswers, IgnoresAbstractNames) {
  const std::string name = "@cloison-unix-socket-test-" + std::to_string(getpid());
  absl::StatusOr<UnixAddress> abstract = UnixSocketAddress(name);
  ASSERT_TRUE(abstract.ok()) << abstract.status();
  UniqueFd live(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(live.get(), abstract->get(), abstract->length), 0) << std::strerror(errno);
  ASSERT_EQ(listen(live.get(), 1), 0) << std::strerror(errno);
  EXPECT_FALSE(SocketAnswers(name));
  EXPECT_FALSE(SocketAnswers(""));
}

}  // namespace
}  // namespace cloison::util
