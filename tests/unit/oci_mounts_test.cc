#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cloison/oci/mounts.h"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace v1 = runtime::v1;

std::vector<std::string> Destinations(const json& mounts) {
  std::vector<std::string> out;
  for (const json& m : mounts) out.push_back(m["destination"]);
  return out;
}

const json* Find(const json& mounts, const std::string& destination) {
  for (const json& m : mounts) {
    if (m["destination"] == destination) return &m;
  }
  return nullptr;
}

class Mounts : public ::testing::Test {
 protected:
  v1::Mount* AddMount(const std::string& container, const std::string& host) {
    v1::Mount* m = cri_.Add();
    m->set_container_path(container);
    m->set_host_path(host);
    return m;
  }

  absl::StatusOr<MountsResult> Build() {
    input_.cri_mounts = &cri_;
    return BuildMounts(input_);
  }

  testing::TempDir dir_;
  google::protobuf::RepeatedPtrField<v1::Mount> cri_;
  MountsInput input_;
};

TEST_F(Mounts, Defaults) {
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Destinations(result->mounts),
              ElementsAre("/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/dev/shm",
                          "/sys/fs/cgroup"));
  EXPECT_EQ(*Find(result->mounts, "/dev"),
            json({{"destination", "/dev"},
                  {"type", "tmpfs"},
                  {"source", "tmpfs"},
                  {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}));
  EXPECT_EQ((*Find(result->mounts, "/dev/pts"))["options"],
            json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  EXPECT_EQ((*Find(result->mounts, "/sys"))["options"], json({"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ((*Find(result->mounts, "/sys/fs/cgroup"))["options"],
            json({"nosuid", "noexec", "nodev", "relatime", "ro"}));
  EXPECT_EQ((*Find(result->mounts, "/dev/shm"))["type"], "tmpfs");
  EXPECT_EQ(result->rootfs_propagation, "");
}

TEST_F(Mounts, PrivilegedSysfsAndCgroupAreWritable) {
  input_.privileged = true;
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*Find(result->mounts, "/sys"))["options"].back(), "rw");
  EXPECT_EQ((*Find(result->mounts, "/sys/fs/cgroup"))["options"].back(), "rw");
}

TEST_F(Mounts, SandboxFilesAndShm) {
  input_.resolv_conf_path = dir_.Write("sb/resolv.conf", "nameserver 10.0.0.10\n");
  input_.hosts_path = dir_.Write("sb/hosts", "127.0.0.1 localhost\n");
  input_.hostname_path = dir_.Write("sb/hostname", "pod\n");
  input_.shm_path = (dir_.path() / "sb").string();
  absl::StatusOr<MountsResult> rw = Build();
  ASSERT_TRUE(rw.ok()) << rw.status();
  EXPECT_EQ(*Find(rw->mounts, "/etc/hosts"),
            json({{"destination", "/etc/hosts"},
                  {"type", "bind"},
                  {"source", input_.hosts_path},
                  {"options", {"rbind", "rprivate", "nosuid", "nodev", "noexec", "rw"}}}));
  EXPECT_EQ((*Find(rw->mounts, "/dev/shm"))["source"], input_.shm_path);
  EXPECT_EQ((*Find(rw->mounts, "/dev/shm"))["type"], "bind");
  ASSERT_NE(Find(rw->mounts, "/etc/resolv.conf"), nullptr);
  ASSERT_NE(Find(rw->mounts, "/etc/hostname"), nullptr);

  input_.readonly_rootfs = true;
  absl::StatusOr<MountsResult> ro = Build();
  ASSERT_TRUE(ro.ok()) << ro.status();
  EXPECT_EQ((*Find(ro->mounts, "/etc/resolv.conf"))["options"].back(), "ro");
  EXPECT_EQ((*Find(ro->mounts, "/dev/shm"))["options"].back(), "rw");
}

TEST_F(Mounts, CriBindMountsWithReadonlyAndPropagation) {
  const std::string a = (dir_.path() / "a").string();
  const std::string b = (dir_.path() / "b").string();
  const std::string c = (dir_.path() / "c").string();
  for (const std::string& d : {a, b, c}) std::filesystem::create_directories(d);
  AddMount("/data/a", a)->set_readonly(true);
  v1::Mount* slave = AddMount("/data/b", b);
  slave->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
  slave->set_selinux_relabel(true);  // ignored
  v1::Mount* shared = AddMount("/data/c", c);
  shared->set_propagation(v1::PROPAGATION_BIDIRECTIONAL);
  shared->add_mount_options("noexec");
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*Find(result->mounts, "/data/a"), json({{"destination", "/data/a"},
                                                    {"type", "bind"},
                                                    {"source", a},
                                                    {"options", {"rbind", "rprivate", "ro"}}}));
  EXPECT_EQ((*Find(result->mounts, "/data/b"))["options"], json({"rbind", "rslave", "rw"}));
  EXPECT_EQ((*Find(result->mounts, "/data/c"))["options"],
            json({"rbind", "rshared", "rw", "noexec"}));
  EXPECT_EQ(result->rootfs_propagation, "rshared");
}

TEST_F(Mounts, HostToContainerSetsRslaveRootPropagation) {
  AddMount("/x", dir_.path().string())->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->rootfs_propagation, "rslave");
}

TEST_F(Mounts, RecursiveReadOnly) {
  v1::Mount* m = AddMount("/x", dir_.path().string());
  m->set_readonly(true);
  m->set_recursive_read_only(true);
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*Find(result->mounts, "/x"))["options"], json({"rbind", "rprivate", "rro"}));

  m->set_readonly(false);
  absl::StatusOr<MountsResult> bad = Build();
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("config.mounts[0].recursive_read_only"));
}

TEST_F(Mounts, CriMountReplacesADefaultDestination) {
  input_.shm_path = dir_.path().string();
  input_.hosts_path = dir_.Write("hosts", "");
  const std::string custom_hosts = dir_.Write("custom-hosts", "");
  AddMount("/dev/shm/", dir_.path().string());  // trailing slash: the same destination
  AddMount("/etc/hosts", custom_hosts);
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<std::string> destinations = Destinations(result->mounts);
  EXPECT_EQ(std::count(destinations.begin(), destinations.end(), "/dev/shm"), 1);
  EXPECT_EQ((*Find(result->mounts, "/dev/shm"))["options"], json({"rbind", "rprivate", "rw"}));
  EXPECT_EQ((*Find(result->mounts, "/etc/hosts"))["source"], custom_hosts);
}

TEST_F(Mounts, CriDevReplacesEverythingUnderDev) {
  AddMount("/dev", "/dev");
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Destinations(result->mounts), ElementsAre("/proc", "/sys", "/dev", "/sys/fs/cgroup"));
}

TEST_F(Mounts, ParentsBeforeChildren) {
  std::filesystem::create_directories(dir_.path() / "h");
  const std::string h = (dir_.path() / "h").string();
  AddMount("/var/lib/app/cache", h);
  AddMount("/var", h);
  AddMount("/sys/fs", h);  // a CRI parent of the default /sys/fs/cgroup
  AddMount("/var/lib", h);
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<std::string> d = Destinations(result->mounts);
  const auto pos = [&](const std::string& s) {
    return std::find(d.begin(), d.end(), s) - d.begin();
  };
  EXPECT_LT(pos("/var"), pos("/var/lib"));
  EXPECT_LT(pos("/var/lib"), pos("/var/lib/app/cache"));
  EXPECT_LT(pos("/sys"), pos("/sys/fs"));
  EXPECT_LT(pos("/sys/fs"), pos("/sys/fs/cgroup"));
  EXPECT_LT(pos("/dev"), pos("/dev/pts"));
}

TEST_F(Mounts, HostPathSymlinksAreResolved) {
  std::filesystem::create_directories(dir_.path() / "real");
  std::filesystem::create_directory_symlink(dir_.path() / "real", dir_.path() / "link");
  AddMount("/x", (dir_.path() / "link").string());
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*Find(result->mounts, "/x"))["source"],
            std::filesystem::canonical(dir_.path() / "real").string());
}

TEST_F(Mounts, RelativeContainerPathIsInvalidArgument) {
  AddMount("/ok", dir_.path().string());
  AddMount("data", dir_.path().string());
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("config.mounts[1].container_path"));
}

TEST_F(Mounts, MissingHostPathIsNotFound) {
  AddMount("/data", (dir_.path() / "missing").string());
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("config.mounts[0].host_path"));
}

TEST_F(Mounts, UnresolvableHostPathKeepsItsErrnosCodeAndText) {
  std::filesystem::create_symlink(dir_.path() / "loop", dir_.path() / "loop");
  AddMount("/data", (dir_.path() / "loop").string());
  absl::StatusOr<MountsResult> result = Build();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::ErrnoToStatusCode(ELOOP)) << result.status();
  EXPECT_EQ(std::string(result.status().message()),
            "config.mounts[0].host_path: \"" + (dir_.path() / "loop").string() + "\" cannot be resolved: " +
                std::strerror(ELOOP));
}

TEST_F(Mounts, OtherInvalidMounts) {
  AddMount("/data", "relative/host");
  absl::StatusOr<MountsResult> relative = Build();
  ASSERT_FALSE(relative.ok());
  EXPECT_EQ(relative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(relative.status().message()), HasSubstr("config.mounts[0].host_path"));

  cri_.Clear();
  AddMount("/a", dir_.path().string());
  AddMount("/a/./", dir_.path().string());
  absl::StatusOr<MountsResult> duplicate = Build();
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(std::string(duplicate.status().message()), HasSubstr("config.mounts[1]"));

  cri_.Clear();
  AddMount("/a", dir_.path().string())->add_mount_options("suid");
  EXPECT_FALSE(Build().ok());

  cri_.Clear();
  AddMount("/", dir_.path().string());
  EXPECT_FALSE(Build().ok());
}

}  // namespace
}  // namespace cloison::oci
