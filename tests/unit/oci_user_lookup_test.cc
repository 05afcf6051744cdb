#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cloison/oci/user_lookup.h"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

std::string PasswdWith(const std::string& name, int uid) {
  return name + ":x:" + std::to_string(uid) + ":" + std::to_string(uid) + "::/home:/bin/sh\n";
}

// Resolves `name` in the rootfs and returns its uid (-1 on error).
int64_t UidOf(const std::string& rootfs, const std::string& name) {
  absl::StatusOr<UserDatabase> db = ReadUserDatabase(rootfs);
  if (!db.ok()) return -1;
  absl::StatusOr<ResolvedUser> user = ResolveUser(*db, name, "test");
  return user.ok() ? static_cast<int64_t>(user->uid) : -1;
}

TEST(UserLookup, ParsesPasswdAndGroup) {
  testing::TempDir dir;
  dir.Write("rootfs/etc/passwd",
            "a:x:1:2:gecos:/h/a:/bin/sh\r\nbad:x:nan:1::/:\n+nis::::::\nb:x:3:4\n");
  dir.Write("rootfs/etc/group", "g1:x:10:a,b\ng2:x:11:b\ng3:x:notanumber:a\n");
  absl::StatusOr<UserDatabase> db = ReadUserDatabase((dir.path() / "rootfs").string());
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(db->users.size(), 2u);
  EXPECT_EQ(db->users[0].home, "/h/a");
  EXPECT_EQ(db->users[1].home, "");
  ASSERT_NE(db->FindUid(3), nullptr);
  EXPECT_EQ(db->FindUid(3)->name, "b");
  EXPECT_EQ(db->FindUser("bad"), nullptr);
  EXPECT_THAT(db->GroupsListing("a"), ElementsAre(10u));
  EXPECT_THAT(db->GroupsListing("b"), ElementsAre(10u, 11u));
}

TEST(UserLookup, OddLinesAreSkippedOrKeptAsBytes) {
  const std::string long_name(100000, 'n');
  const std::vector<PasswdEntry> users = ParsePasswd(
      "huge:x:4294967295:0::/:\nbig:x:99999999999:0::/:\nneg:x:-1:0::/:\nplus:x:+1:0::/:\n"
      "::5:5::/:\nfew:x:7\n" + long_name + ":x:8:9\n\xff\xfe:x:10:10::/h\xff:\nmany:x:11:11::/m:" +
      std::string(100000, ':') + "\n");
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[2].home, "/m");
  EXPECT_EQ(users[0].name, long_name);
  EXPECT_EQ(users[0].uid, 8u);
  EXPECT_EQ(users[1].name, "\xff\xfe");
  EXPECT_EQ(users[1].home, "/h\xff");
  const std::vector<GroupEntry> groups = ParseGroup("g:x:4294967294:a,,b , :extra:fields\ng2:x:4294967295:\ng3:x\n");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].gid, 4294967294u);
  EXPECT_THAT(groups[0].members, ElementsAre("a", "b"));
}

TEST(UserLookup, MissingFilesAreAnEmptyDatabase) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "rootfs");
  absl::StatusOr<UserDatabase> db = ReadUserDatabase((dir.path() / "rootfs").string());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(db->users.empty());
  EXPECT_EQ(UidOf((dir.path() / "rootfs").string(), "1234"), 1234);
  EXPECT_EQ(UidOf((dir.path() / "rootfs").string(), "root"), -1);
}

// A rootfs whose etc/passwd is a symlink aimed at a "host" passwd file: an absolute target
// that exists on the host, and a relative one that climbs out with "..". Both must resolve
// inside the rootfs.
TEST(UserLookup, AbsoluteSymlinkResolvesInsideTheRootfs) {
  testing::TempDir dir;
  const std::string host_passwd = dir.Write("host/etc/passwd", PasswdWith("app", 1111));
  const fs::path rootfs = dir.path() / "rootfs";
  dir.Write("rootfs" + host_passwd, PasswdWith("app", 2222));  // the same path inside
  fs::create_directories(rootfs / "etc");
  fs::create_symlink(host_passwd, rootfs / "etc/passwd");
  EXPECT_EQ(UidOf(rootfs.string(), "app"), 2222);
}

TEST(UserLookup, RelativeEscapingSymlinkResolvesInsideTheRootfs) {
  testing::TempDir dir;
  dir.Write("host/passwd", PasswdWith("app", 1111));  // <tmp>/rootfs/etc/../../host/passwd
  const fs::path rootfs = dir.path() / "rootfs";
  dir.Write("rootfs/host/passwd", PasswdWith("app", 3333));  // ".." stops at the rootfs
  fs::create_directories(rootfs / "etc");
  fs::create_symlink("../../../../../../../../host/passwd", rootfs / "etc/passwd");
  EXPECT_EQ(UidOf(rootfs.string(), "app"), 3333);
}

TEST(UserLookup, SymlinkToTheHostsEtcPasswdNeverReadsIt) {
  // On the host, /etc/passwd has root. Inside the rootfs, "/etc/passwd" is the link itself: a
  // loop, so the lookup fails instead of returning the host's entries.
  testing::TempDir dir;
  const fs::path rootfs = dir.path() / "rootfs";
  fs::create_directories(rootfs / "etc");
  fs::create_symlink("/etc/passwd", rootfs / "etc/passwd");
  EXPECT_FALSE(ReadUserDatabase(rootfs.string()).ok());
  EXPECT_EQ(UidOf(rootfs.string(), "root"), -1);

  fs::remove(rootfs / "etc/passwd");
  fs::create_symlink("../../../../../../../../../etc/passwd", rootfs / "etc/passwd");
  EXPECT_EQ(UidOf(rootfs.string(), "root"), -1);
}

// A file that cannot be opened fails with the code its errno maps to, naming the file and the
// errno's text (a symlink to itself: ELOOP).
TEST(UserLookup, AnUnopenableFileIsNamedWithItsErrno) {
  testing::TempDir dir;
  const fs::path rootfs = dir.path() / "rootfs";
  fs::create_directories(rootfs / "etc");
  fs::create_symlink("/etc/passwd", rootfs / "etc/passwd");
  const absl::Status status = ReadUserDatabase(rootfs.string()).status();
  EXPECT_EQ(status.code(), absl::ErrnoToStatusCode(ELOOP)) << status;
  EXPECT_EQ(status.message(), std::string("opening /etc/passwd in the container rootfs: ") + std::strerror(ELOOP));
}

TEST(UserLookup, NonRegularFileIsAnError) {
  testing::TempDir dir;
  const fs::path rootfs = dir.path() / "rootfs";
  fs::create_directories(rootfs / "etc/passwd");
  absl::StatusOr<UserDatabase> db = ReadUserDatabase(rootfs.string());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);

  fs::remove(rootfs / "etc/passwd");
  ASSERT_EQ(mkfifo((rootfs / "etc/passwd").c_str(), 0644), 0);  // must not block
  EXPECT_FALSE(ReadUserDatabase(rootfs.string()).ok());
}

}  // namespace
}  // namespace cloison::oci
