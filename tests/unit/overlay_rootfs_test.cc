#include "cloison/storage/overlay_rootfs.h"

#include <gtest/gtest.h>

#include <fstream>

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

}  // namespace
}  // namespace cloison::storage
