// RemoveLeftoverCgroup on real cgroups (the tests run as root): the container's own empty
// cgroup goes from every hierarchy; a cgroupsPath that does not name the container, or a
// cgroup with a process in it, stays.
#include "cloison/runtime/leftover_cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_tmpdir.h"

namespace cloison::runtime {
namespace {

namespace fs = std::filesystem;

class LeftoverCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make cgroups";
    if (!fs::exists(kHierarchy)) GTEST_SKIP() << kHierarchy << " is not mounted";
    parent_ = "/cloison-unit-" + std::to_string(getpid());
    ASSERT_TRUE(fs::create_directory(std::string(kHierarchy) + parent_));
  }
  void TearDown() override {
    if (parent_.empty()) return;
    std::error_code ec;
    fs::remove(std::string(kHierarchy) + parent_ + "/cloison-c1", ec);
    fs::remove(std::string(kHierarchy) + parent_, ec);
  }

  // A bundle whose config.json names `cgroups_path`, and the container cgroup made in kHierarchy.
  std::string Bundle(const std::string& cgroups_path) {
    return bundle_.Write("config.json", R"({"linux":{"cgroupsPath":")" + cgroups_path + R"("}})");
  }
  std::string ContainerCgroup() const { return std::string(kHierarchy) + parent_ + "/cloison-c1"; }

  static constexpr char kHierarchy[] = "/sys/fs/cgroup/pids";
  testing::TempDir bundle_;
  std::string parent_;
};

TEST_F(LeftoverCgroup, TheContainersEmptyCgroupGoes) {
  ASSERT_TRUE(fs::create_directory(ContainerCgroup()));
  Bundle(parent_ + "/cloison-c1");
  RemoveLeftoverCgroup(bundle_.path().string(), "c1");
  EXPECT_FALSE(fs::exists(ContainerCgroup()));
  EXPECT_TRUE(fs::exists(std::string(kHierarchy) + parent_));  // the parent is not the container's
  RemoveLeftoverCgroup(bundle_.path().string(), "c1");       // already gone: nothing to do
}

TEST_F(LeftoverCgroup, APathNotNamingTheContainerIsLeftAlone) {
  ASSERT_TRUE(fs::create_directory(ContainerCgroup()));
  Bundle(parent_ + "/cloison-c1");
  RemoveLeftoverCgroup(bundle_.path().string(), "c2");
  EXPECT_TRUE(fs::exists(ContainerCgroup()));
  Bundle(parent_);  // the parent's own path, as a damaged or foreign config could name
  RemoveLeftoverCgroup(bundle_.path().string(), "c1");
  EXPECT_TRUE(fs::exists(std::string(kHierarchy) + parent_));
}

TEST_F(LeftoverCgroup, ACgroupWithAProcessStays) {
  ASSERT_TRUE(fs::create_directory(ContainerCgroup()));
  const pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  std::ofstream(ContainerCgroup() + "/cgroup.procs") << child << "\n";
  Bundle(parent_ + "/cloison-c1");
  RemoveLeftoverCgroup(bundle_.path().string(), "c1");
  EXPECT_TRUE(fs::exists(ContainerCgroup()));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST_F(LeftoverCgroup, ASystemdScopeOrNoPathDoesNothing) {
  ASSERT_TRUE(fs::create_directory(ContainerCgroup()));
  Bundle("system.slice:cloison:c1");
  RemoveLeftoverCgroup(bundle_.path().string(), "c1");
  EXPECT_TRUE(fs::exists(ContainerCgroup()));
  RemoveLeftoverCgroup((bundle_.path() / "missing").string(), "c1");
  EXPECT_TRUE(fs::exists(ContainerCgroup()));
}

}  // namespace
}  // namespace cloison::runtime
