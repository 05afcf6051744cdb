// util::SealedExecutable: the copy holds the file's bytes behind exactly runc's seals, cannot
// be written, runs (and the program it runs sees the memfd as its /proc/self/exe), is kept
// while the file is unchanged and made again when it changes, without invalidating the copy
// a caller still holds.
#include "cloison/util/sealed_executable.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "cloison/util/command.h"
#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

std::string ContentOf(const SealedCopy& copy) {
  std::string content;
  char buffer[4096];
  off_t offset = 0;
  while (true) {
    const ssize_t n = pread(copy.fd(), buffer, sizeof(buffer), offset);
    if (n <= 0) break;
    content.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return content;
}

TEST(SealedExecutableTest, CopiesTheBytesBehindExactlyRuncsSeals) {
  testing::TempDir dir;
  const std::string path = dir.Write("program", "#!/bin/sh\necho one\n");
  SealedExecutable executable(path);
  absl::StatusOr<std::shared_ptr<const SealedCopy>> copy = executable.Current();
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(ContentOf(**copy), "#!/bin/sh\necho one\n");
  EXPECT_EQ(fcntl((*copy)->fd(), F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  EXPECT_TRUE(HasExecutableSeals((*copy)->fd()));
  EXPECT_GE((*copy)->fd(), 10);
  EXPECT_EQ(fcntl((*copy)->fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ((*copy)->ExecPath(), "/proc/self/fd/" + std::to_string((*copy)->fd()));
}

TEST(SealedExecutableTest, TheCopyCannotBeWrittenGrownOrShrunk) {
  SealedExecutable executable("/bin/true");
  absl::StatusOr<std::shared_ptr<const SealedCopy>> copy = executable.Current();
  ASSERT_TRUE(copy.ok()) << copy.status();
  // Through a new open file description, as a process that found /proc/<pid>/exe would.
  UniqueFd writable(open((*copy)->ExecPath().c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writable.valid()) << std::strerror(errno);
  EXPECT_EQ(pwrite(writable.get(), "x", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(ftruncate(writable.get(), 0), 0);
  EXPECT_NE(ftruncate(writable.get(), 1 << 30), 0);
  EXPECT_EQ(fcntl(writable.get(), F_ADD_SEALS, F_SEAL_SHRINK), -1);  // F_SEAL_SEAL: the seals are final
  EXPECT_EQ(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, writable.get(), 0), MAP_FAILED);
}

TEST(SealedExecutableTest, AProgramStartedFromTheCopyRunsWithTheMemfdAsItsExe) {
  SealedExecutable shell("/bin/sh");
  absl::StatusOr<std::shared_ptr<const SealedCopy>> copy = shell.Current();
  ASSERT_TRUE(copy.ok()) << copy.status();
  absl::StatusOr<CommandResult> run =
      RunCommand({(*copy)->ExecPath(), "-c", "readlink /proc/$$/exe"}, std::chrono::seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0) << run->stderr_text;
  EXPECT_TRUE(absl::StartsWith(run->stdout_text, "/memfd:cloison:sh")) << run->stdout_text;
}

TEST(SealedExecutableTest, KeepsTheCopyWhileTheFileIsUnchanged) {
  testing::TempDir dir;
  SealedExecutable executable(dir.Write("program", "one"));
  absl::StatusOr<std::shared_ptr<const SealedCopy>> first = executable.Current();
  absl::StatusOr<std::shared_ptr<const SealedCopy>> second = executable.Current();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->get(), second->get());
}

TEST(SealedExecutableTest, CopiesAgainWhenTheFileChangesAndTheOldCopyStaysValid) {
  testing::TempDir dir;
  const std::string path = dir.Write("program", "one");
  SealedExecutable executable(path);
  absl::StatusOr<std::shared_ptr<const SealedCopy>> old_copy = executable.Current();
  ASSERT_TRUE(old_copy.ok()) << old_copy.status();

  // Same size, another inode (as a package upgrade renames a new binary into place).
  const std::string next = dir.Write("program.new", "two");
  std::filesystem::rename(next, path);
  absl::StatusOr<std::shared_ptr<const SealedCopy>> new_copy = executable.Current();
  ASSERT_TRUE(new_copy.ok()) << new_copy.status();
  EXPECT_NE(old_copy->get(), new_copy->get());
  EXPECT_EQ(ContentOf(**new_copy), "two");
  EXPECT_EQ(ContentOf(**old_copy), "one");

  // Rewritten in place: the size (and modification time) change.
  std::ofstream(path, std::ios::trunc) << "three, longer";
  absl::StatusOr<std::shared_ptr<const SealedCopy>> third = executable.Current();
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(ContentOf(**third), "three, longer");
}

TEST(SealedExecutableTest, AMissingFileIsNotFound) {
  testing::TempDir dir;
  SealedExecutable executable((dir.path() / "absent").string());
  EXPECT_EQ(executable.Current().status().code(), absl::StatusCode::kNotFound);
}

TEST(SealedExecutableTest, SharedInstancesArePerPath) {
  EXPECT_EQ(SharedSealedExecutable("/bin/true").get(), SharedSealedExecutable("/bin/true").get());
  EXPECT_NE(SharedSealedExecutable("/bin/true").get(), SharedSealedExecutable("/bin/false").get());
  EXPECT_EQ(SharedSealedExecutable("/bin/true")->path(), "/bin/true");
}

TEST(SealedExecutableTest, AnOrdinaryFileHasNoExecutableSeals) {
  UniqueFd fd(open("/bin/true", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  EXPECT_FALSE(HasExecutableSeals(fd.get()));
}

}  // namespace
}  // namespace cloison::util
