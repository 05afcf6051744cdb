#include "cloison/storage/overlay_rootfs.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "test_tmpdir.h"

namespace cloison::storage {
namespace {

TEST(OverlayRootfs, StacksLayersWithTheTopOneWinningAndCleansUp) {
  testing::TempDir dir;
  dir.Write("layers/base/etc/os", "base");
  dir.Write("layers/base/only-base", "1");
  dir.Write("layers/top/etc/os", "top");
  OverlayRootfs rootfs((dir.path() / "storage").string());
  absl::StatusOr<std::string> merged =
      rootfs.Mount("c1", {(dir.path() / "layers/base").string(), (dir.path() / "layers/top").string()});
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(rootfs.IsMounted("c1"));
  std::string os;
  std::ifstream(*merged + "/etc/os") >> os;
  EXPECT_EQ(os, "top");
  EXPECT_EQ(access((*merged + "/only-base").c_str(), F_OK), 0);
  // Writes land in the container's upper directory, never in a layer.
  std::ofstream(*merged + "/new-file") << "x";
  EXPECT_NE(access((dir.path() / "layers/top/new-file").c_str(), F_OK), 0);
  EXPECT_EQ(access((dir.path() / "storage/c1/upper/new-file").c_str(), F_OK), 0);
  // Mount is idempotent, so is unmount.
  EXPECT_TRUE(rootfs.Mount("c1", {}).ok());
  ASSERT_TRUE(rootfs.Unmount("c1").ok());
  EXPECT_FALSE(rootfs.IsMounted("c1"));
  ASSERT_TRUE(rootfs.Unmount("c1").ok());
  ASSERT_TRUE(rootfs.Remove("c1").ok());
  EXPECT_NE(access((dir.path() / "storage/c1").c_str(), F_OK), 0);
}

TEST(OverlayRootfs, AnImageWithoutLayersGetsAnEmptyRoot) {
  testing::TempDir dir;
  OverlayRootfs rootfs((dir.path() / "storage").string());
  absl::StatusOr<std::string> merged = rootfs.Mount("empty", {});
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(rootfs.Remove("empty").ok());
}

// A child process in a new user namespace (container 0 -> host `host_id`, 65536 ids), killed
// and reaped on destruction.
class UserNamespaceChild {
 public:
  explicit UserNamespaceChild(uint32_t host_id) {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      const char byte = unshare(CLONE_NEWUSER) == 0 ? 1 : 0;
      if (write(ready[1], &byte, 1) != 1) _exit(1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char byte = 0;
    const bool unshared = read(ready[0], &byte, 1) == 1 && byte == 1;
    close(ready[0]);
    const std::string map = "0 " + std::to_string(host_id) + " 65536\n";
    ok_ = unshared && (std::ofstream(Proc("uid_map")) << map).good() && (std::ofstream(Proc("gid_map")) << map).good();
  }
  ~UserNamespaceChild() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  bool ok() const { return ok_; }
  std::string Proc(const std::string& file) const { return "/proc/" + std::to_string(pid_) + "/" + file; }

 private:
  pid_t pid_ = -1;
  bool ok_ = false;
};

uid_t OwnerOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_uid;
}

TEST(OverlayRootfs, IdMapsTheLayersThroughThePodUserNamespace) {
  testing::TempDir dir;
  dir.Write("layers/base/etc/os", "base");
  dir.Write("layers/top/home/app/file", "app");
  const std::string app_file = (dir.path() / "layers/top/home/app/file").string();
  ASSERT_EQ(chown(app_file.c_str(), 1000, 1000), 0);
  UserNamespaceChild userns(300000);
  ASSERT_TRUE(userns.ok());
  OverlayRootfs rootfs((dir.path() / "storage").string());
  absl::StatusOr<std::string> merged =
      rootfs.Mount("c1", {(dir.path() / "layers/base").string(), (dir.path() / "layers/top").string()},
                   RootfsIdMap{userns.Proc("ns/user"), 300000, 300000});
  ASSERT_TRUE(merged.ok()) << merged.status();

  EXPECT_EQ(OwnerOf(*merged), 300000u) << "the root directory belongs to the mapped root";
  EXPECT_EQ(OwnerOf(*merged + "/etc/os"), 300000u);
  EXPECT_EQ(OwnerOf(*merged + "/home/app/file"), 301000u);
  // overlayfs lists the top layer first: it is lower/0.
  EXPECT_EQ(OwnerOf((dir.path() / "storage/c1/lower/0/home/app/file").string()), 301000u);
  // The layers themselves are untouched.
  EXPECT_EQ(OwnerOf(app_file), 1000u);
  EXPECT_EQ(OwnerOf((dir.path() / "layers/base/etc/os").string()), 0u);
  // A copy-up keeps the mapped owner.
  std::ofstream(*merged + "/etc/os", std::ios::app) << "changed";
  EXPECT_EQ(OwnerOf((dir.path() / "storage/c1/upper/etc/os").string()), 300000u);

  ASSERT_TRUE(rootfs.Remove("c1").ok());
  EXPECT_NE(access((dir.path() / "storage/c1").c_str(), F_OK), 0);
  EXPECT_EQ(access(app_file.c_str(), F_OK), 0) << "removing the container must not reach into a layer";
  EXPECT_EQ(access((dir.path() / "layers/base/etc/os").c_str(), F_OK), 0);
}

TEST(OverlayRootfs, UnmountFindsTheIdMappedLayersOnDisk) {
  testing::TempDir dir;
  dir.Write("layers/base/etc/os", "base");
  UserNamespaceChild userns(300000);
  ASSERT_TRUE(userns.ok());
  const std::string storage = (dir.path() / "storage").string();
  ASSERT_TRUE(OverlayRootfs(storage)
                  .Mount("c1", {(dir.path() / "layers/base").string()}, RootfsIdMap{userns.Proc("ns/user"), 300000, 300000})
                  .ok());
  // A new instance (as after a daemon restart) knows nothing of the mapping.
  OverlayRootfs restarted(storage);
  EXPECT_TRUE(restarted.IsMounted("c1"));
  ASSERT_TRUE(restarted.Remove("c1").ok());
  EXPECT_EQ(access((dir.path() / "layers/base/etc/os").c_str(), F_OK), 0);
  EXPECT_NE(access((dir.path() / "storage/c1").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace cloison::storage
