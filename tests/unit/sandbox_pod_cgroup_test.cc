#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/sandbox/pod_cgroup.h"
#include "cloison/util/atomic_file.h"

namespace cloison::sandbox {
namespace {

using ::testing::HasSubstr;
using util::CgroupHierarchy;
using util::MountedCgroupHierarchies;
using util::ParseCgroupHierarchies;

constexpr char kMemory[] = "/sys/fs/cgroup/memory";
constexpr char kCpu[] = "/sys/fs/cgroup/cpu";
constexpr char kCpuset[] = "/sys/fs/cgroup/cpuset";
constexpr char kUnified[] = "/sys/fs/cgroup/unified";

TEST(ParseCgroupHierarchies, ListsEachHierarchyOnce) {
  const std::string mountinfo =
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory,clone_children\n"
      "34 31 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "35 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
      "36 1 0:30 / /mnt/memory\\040copy rw - cgroup cgroup rw,memory\n";
  absl::StatusOr<std::vector<CgroupHierarchy>> hierarchies = ParseCgroupHierarchies(mountinfo);
  ASSERT_TRUE(hierarchies.ok()) << hierarchies.status();
  ASSERT_EQ(hierarchies->size(), 4u);
  EXPECT_EQ((*hierarchies)[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_THAT((*hierarchies)[0].controllers, ::testing::ElementsAre("cpu", "cpuacct"));
  EXPECT_THAT((*hierarchies)[1].controllers, ::testing::ElementsAre("memory"));
  EXPECT_THAT((*hierarchies)[2].controllers, ::testing::ElementsAre("name=systemd"));
  EXPECT_TRUE((*hierarchies)[3].unified);
  EXPECT_EQ((*hierarchies)[3].mount_point, "/sys/fs/cgroup/unified");
}

TEST(ParseCgroupHierarchies, UnescapesMountPointsAndRejectsGarbage) {
  absl::StatusOr<std::vector<CgroupHierarchy>> hierarchies =
      ParseCgroupHierarchies("36 1 0:30 / /mnt/a\\040b rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(hierarchies.ok()) << hierarchies.status();
  EXPECT_EQ(hierarchies->at(0).mount_point, "/mnt/a b");
  EXPECT_EQ(ParseCgroupHierarchies("36 1 0:30 / /mnt rw cgroup\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

class PodCgroupTest : public ::testing::Test {
 protected:
  PodCgroupTest() : top_(absl::StrCat("/cloison-test-", std::random_device()())) {}
  ~PodCgroupTest() override {
    // Whatever a failing test left: children first.
    const std::vector<CgroupHierarchy> hierarchies = MountedCgroupHierarchies().value();
    for (const CgroupHierarchy& hierarchy : hierarchies) {
      const std::string top = hierarchy.mount_point + top_;
      std::error_code error;
      if (!std::filesystem::exists(top, error)) continue;
      for (const auto& entry : std::filesystem::directory_iterator(top, error)) {
        if (entry.is_directory()) rmdir(entry.path().c_str());
      }
      rmdir(top.c_str());
    }
  }

  static bool IsDir(const std::string& path) { return std::filesystem::is_directory(path); }
  static std::string Read(const std::string& path) {
    return util::ReadFile(path).value_or("<unreadable>");
  }

  const std::string top_;
};

TEST_F(PodCgroupTest, CreatesTheCgroupEverywhereAppliesLimitsAndRemovesIt) {
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent(top_ + "/pod-x");
  config.mutable_resources()->set_memory_limit_in_bytes(256 << 20);
  config.mutable_overhead()->set_memory_limit_in_bytes(16 << 20);
  config.mutable_resources()->set_cpu_shares(512);
  config.mutable_overhead()->set_cpu_shares(102);
  config.mutable_resources()->set_cpu_period(100000);
  config.mutable_resources()->set_cpu_quota(50000);
  config.mutable_overhead()->set_cpu_quota(10000);

  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_FALSE(cgroup->systemd_slice);
  const std::string pod = top_ + "/pod-x";
  for (const char* root : {kMemory, kCpu, kCpuset, kUnified}) {
    EXPECT_TRUE(IsDir(root + pod)) << root;
    EXPECT_THAT(cgroup->created, ::testing::Contains(root + top_));
    EXPECT_THAT(cgroup->created, ::testing::Contains(root + pod));
  }
  // Ancestors come before their children.
  const auto top_at = std::find(cgroup->created.begin(), cgroup->created.end(), kMemory + top_);
  const auto pod_at = std::find(cgroup->created.begin(), cgroup->created.end(), kMemory + pod);
  EXPECT_LT(top_at, pod_at);

  EXPECT_EQ(Read(kMemory + pod + "/memory.limit_in_bytes"), absl::StrCat(272 << 20, "\n"));
  EXPECT_EQ(Read(kCpu + pod + "/cpu.shares"), "614\n");
  EXPECT_EQ(Read(kCpu + pod + "/cpu.cfs_quota_us"), "60000\n");
  EXPECT_EQ(Read(kCpu + pod + "/cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(Read(kCpuset + pod + "/cpuset.cpus"), Read(std::string(kCpuset) + "/cpuset.cpus"));
  EXPECT_EQ(Read(kCpuset + pod + "/cpuset.mems"), Read(std::string(kCpuset) + "/cpuset.mems"));

  ASSERT_TRUE(RemovePodCgroup(*cgroup).ok());
  for (const std::string& dir : cgroup->created) EXPECT_FALSE(IsDir(dir)) << dir;
  EXPECT_TRUE(RemovePodCgroup(*cgroup).ok()) << "idempotent";
}

TEST_F(PodCgroupTest, UnlimitedContainersMakeAnUnlimitedPod) {
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent(top_ + "/pod-u");
  config.mutable_overhead()->set_memory_limit_in_bytes(16 << 20);
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_EQ(Read(kMemory + top_ + "/pod-u/memory.limit_in_bytes"),
            Read(kMemory + top_ + "/memory.limit_in_bytes"));
  EXPECT_EQ(Read(kCpu + top_ + "/pod-u/cpu.cfs_quota_us"), "-1\n");
  EXPECT_TRUE(RemovePodCgroup(*cgroup).ok());
}

TEST_F(PodCgroupTest, UpdateResetsTheLimitsTheNewConfigLeavesUnset) {
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent(top_ + "/pod-r");
  config.mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  config.mutable_resources()->set_cpu_shares(512);
  config.mutable_resources()->set_cpu_period(50000);
  config.mutable_resources()->set_cpu_quota(25000);
  config.mutable_resources()->set_cpuset_cpus("0");
  ::runtime::v1::HugepageLimit* hugepages = config.mutable_resources()->add_hugepage_limits();
  hugepages->set_page_size("2MB");
  hugepages->set_limit(4 << 21);
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  const std::string pod = top_ + "/pod-r";
  const std::string unified_hugepages = kUnified + pod + "/hugetlb.2MB.max";
  const bool v2_hugetlb = std::filesystem::exists(unified_hugepages);
  ASSERT_EQ(Read(kMemory + pod + "/memory.limit_in_bytes"), absl::StrCat(64 << 20, "\n"));
  ASSERT_EQ(Read(kCpu + pod + "/cpu.cfs_quota_us"), "25000\n");
  ASSERT_EQ(Read(kCpuset + pod + "/cpuset.cpus"), "0\n");
  if (v2_hugetlb) {
    ASSERT_EQ(Read(unified_hugepages), absl::StrCat(4 << 21, "\n"));
  }

  config.clear_resources();  // an update that sets nothing lifts every limit
  ASSERT_TRUE(UpdatePodCgroup(*cgroup, config).ok());
  EXPECT_EQ(Read(kMemory + pod + "/memory.limit_in_bytes"), Read(kMemory + top_ + "/memory.limit_in_bytes"));
  EXPECT_EQ(Read(kCpu + pod + "/cpu.shares"), "1024\n");
  EXPECT_EQ(Read(kCpu + pod + "/cpu.cfs_quota_us"), "-1\n");
  EXPECT_EQ(Read(kCpu + pod + "/cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(Read(kCpuset + pod + "/cpuset.cpus"), Read(kCpuset + top_ + "/cpuset.cpus"));
  if (v2_hugetlb) {
    EXPECT_EQ(Read(unified_hugepages), "max\n");
  }
  EXPECT_TRUE(RemovePodCgroup(*cgroup).ok());
}

TEST_F(PodCgroupTest, LeavesAKubeletMadeCgroupAlone) {
  ASSERT_EQ(mkdir((kMemory + top_).c_str(), 0755), 0);
  ASSERT_EQ(mkdir((kMemory + top_ + "/pod-k").c_str(), 0755), 0);
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent(top_ + "/pod-k");
  config.mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_THAT(cgroup->created, ::testing::Not(::testing::Contains(kMemory + top_ + "/pod-k")));
  EXPECT_THAT(cgroup->created, ::testing::Contains(kCpu + top_ + "/pod-k"));
  EXPECT_NE(Read(kMemory + top_ + "/pod-k/memory.limit_in_bytes"), absl::StrCat(64 << 20, "\n"));
  ASSERT_TRUE(RemovePodCgroup(*cgroup).ok());
  EXPECT_TRUE(IsDir(kMemory + top_ + "/pod-k")) << "not cloison's to remove";
  EXPECT_FALSE(IsDir(kCpu + top_ + "/pod-k"));
}

TEST_F(PodCgroupTest, SharedAncestorStaysWhileAnotherPodUsesIt) {
  ::runtime::v1::LinuxPodSandboxConfig first, second;
  first.set_cgroup_parent(top_ + "/pod-1");
  second.set_cgroup_parent(top_ + "/pod-2");
  absl::StatusOr<PodCgroup> one = CreatePodCgroup(first);
  ASSERT_TRUE(one.ok()) << one.status();
  absl::StatusOr<PodCgroup> two = CreatePodCgroup(second);
  ASSERT_TRUE(two.ok()) << two.status();
  // A container cgroup runc left behind inside the pod's cgroup goes with it.
  ASSERT_EQ(mkdir((kMemory + top_ + "/pod-1/ctr").c_str(), 0755), 0);

  ASSERT_TRUE(RemovePodCgroup(*one).ok());
  EXPECT_FALSE(IsDir(kMemory + top_ + "/pod-1"));
  EXPECT_TRUE(IsDir(kMemory + top_ + "/pod-2"));
  ASSERT_TRUE(RemovePodCgroup(*two).ok());
  EXPECT_FALSE(IsDir(kMemory + top_ + "/pod-2"));
}

TEST_F(PodCgroupTest, SystemdSliceIsOnlyRecorded) {
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent("kubepods-besteffort-podabc.slice");
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_TRUE(cgroup->systemd_slice);
  EXPECT_TRUE(cgroup->created.empty());
  EXPECT_TRUE(RemovePodCgroup(*cgroup).ok());
}

TEST_F(PodCgroupTest, RejectsBadParentsAndPageSizes) {
  ::runtime::v1::LinuxPodSandboxConfig config;
  for (const char* parent : {"relative/pod", "/a/../b", "/"}) {
    config.set_cgroup_parent(parent);
    absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
    EXPECT_EQ(cgroup.status().code(), absl::StatusCode::kInvalidArgument) << parent;
    EXPECT_THAT(std::string(cgroup.status().message()), HasSubstr("linux.cgroup_parent")) << parent;
  }
  config.set_cgroup_parent(top_ + "/pod-h");
  config.mutable_resources()->add_hugepage_limits()->set_page_size("../2MB");
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  EXPECT_EQ(cgroup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cgroup.status().message()),
              HasSubstr("linux.resources.hugepage_limits[0].page_size"));
  EXPECT_FALSE(IsDir(kMemory + top_));
}

// What RunPodSandbox records before it creates the pod's cgroups: what CreatePodCgroup then
// makes, no directory that was there before.
TEST_F(PodCgroupTest, MissingDirsAreWhatCreateMakes) {
  ASSERT_EQ(mkdir((kMemory + top_).c_str(), 0755), 0);  // an ancestor someone else made
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent(top_ + "/pod-m");
  absl::StatusOr<std::vector<std::string>> missing = MissingPodCgroupDirs(config);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_THAT(*missing, ::testing::Contains(kMemory + top_ + "/pod-m"));
  EXPECT_THAT(*missing, ::testing::Not(::testing::Contains(kMemory + top_)));
  EXPECT_THAT(*missing, ::testing::IsSupersetOf({kCpu + top_, kCpu + top_ + "/pod-m"}));
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_EQ(cgroup->created, *missing);
  EXPECT_THAT(MissingPodCgroupDirs(config).value_or(std::vector<std::string>{"<error>"}), ::testing::IsEmpty());
  EXPECT_TRUE(RemovePodCgroup(*cgroup).ok());

  for (const char* parent : {"", "kubepods-besteffort-podabc.slice"}) {
    config.set_cgroup_parent(parent);
    EXPECT_THAT(MissingPodCgroupDirs(config).value_or(std::vector<std::string>{"<error>"}), ::testing::IsEmpty())
        << parent;
  }
  config.set_cgroup_parent("/a/../b");
  EXPECT_EQ(MissingPodCgroupDirs(config).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(MissingPodCgroupDirs(config).status().message()), HasSubstr("linux.cgroup_parent"));
}

TEST_F(PodCgroupTest, FailureRemovesWhatWasCreated) {
  ::runtime::v1::LinuxPodSandboxConfig config;
  config.set_cgroup_parent(top_ + "/pod-f");
  config.mutable_resources()->set_cpuset_cpus("99999");  // no such CPU: the kernel refuses
  absl::StatusOr<PodCgroup> cgroup = CreatePodCgroup(config);
  EXPECT_FALSE(cgroup.ok());
  EXPECT_THAT(std::string(cgroup.status().message()), HasSubstr("cpuset.cpus"));
  for (const char* root : {kMemory, kCpu, kCpuset, kUnified}) {
    EXPECT_FALSE(IsDir(root + top_)) << root;
  }
}

}  // namespace
}  // namespace cloison::sandbox
