#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cloison/sandbox/pod_files.h"
#include "cloison/util/atomic_file.h"
#include "test_tmpdir.h"

namespace cloison::sandbox {
namespace {

using ::testing::HasSubstr;

class WritePodFilesTest : public ::testing::Test {
 protected:
  WritePodFilesTest() {
    spec_.hostname = "pod-a";
    spec_.host_resolv_conf =
        tmp_.Write("host/resolv.conf", "nameserver 192.0.2.53\nsearch example.test\n");
  }

  std::string Error() {
    absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
    EXPECT_EQ(paths.status().code(), absl::StatusCode::kInvalidArgument) << paths.status();
    return std::string(paths.status().message());
  }

  testing::TempDir tmp_;
  const std::string dir_ = (tmp_.path() / "sandbox").string();
  PodFilesSpec spec_;
};

TEST_F(WritePodFilesTest, WritesHostnameHostsAndResolvConf) {
  spec_.pod_ips = {"10.244.1.7", "fd00::7"};
  spec_.dns_config.add_servers("10.96.0.10");
  spec_.dns_config.add_servers("fd00::a");
  spec_.dns_config.add_searches("default.svc.cluster.local");
  spec_.dns_config.add_searches("svc.cluster.local");
  spec_.dns_config.add_options("ndots:5");
  spec_.dns_config.add_options("edns0");
  absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(paths->hostname, dir_ + "/hostname");
  EXPECT_EQ(paths->hosts, dir_ + "/hosts");
  EXPECT_EQ(paths->resolv_conf, dir_ + "/resolv.conf");

  EXPECT_EQ(util::ReadFile(paths->hostname).value(), "pod-a\n");
  const std::string hosts = util::ReadFile(paths->hosts).value();
  EXPECT_THAT(hosts, HasSubstr("\n127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(hosts, HasSubstr("\n::1\tlocalhost ip6-localhost ip6-loopback\n"));
  EXPECT_THAT(hosts, HasSubstr("\n10.244.1.7\tpod-a\nfd00::7\tpod-a\n"));
  EXPECT_THAT(hosts, ::testing::Not(HasSubstr("127.0.1.1")));
  EXPECT_EQ(util::ReadFile(paths->resolv_conf).value(),
            "nameserver 10.96.0.10\nnameserver fd00::a\n"
            "search default.svc.cluster.local svc.cluster.local\n"
            "options ndots:5 edns0\n");
  for (const std::string& path : {paths->hostname, paths->hosts, paths->resolv_conf}) {
    struct stat info {};
    ASSERT_EQ(stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0644u) << path;
  }
}

TEST_F(WritePodFilesTest, PodWithoutIpMapsHostnameTo127011) {
  absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_THAT(util::ReadFile(paths->hosts).value(), HasSubstr("\n127.0.1.1\tpod-a\n"));
}

TEST_F(WritePodFilesTest, HostNetworkPodGetsTheNodesHostsFile) {
  spec_.host_network = true;
  spec_.host_hosts = tmp_.Write("host/hosts", "127.0.0.1\tlocalhost\n192.0.2.10\tnode-1.example.test node-1\n");
  absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(util::ReadFile(paths->hosts).value(), "127.0.0.1\tlocalhost\n192.0.2.10\tnode-1.example.test node-1\n");

  spec_.host_hosts = (tmp_.path() / "missing").string();  // a node without one: generated
  paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_THAT(util::ReadFile(paths->hosts).value(), HasSubstr("\n127.0.1.1\tpod-a\n"));
}

TEST_F(WritePodFilesTest, EmptyDnsConfigCopiesTheHostResolvConf) {
  absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(util::ReadFile(paths->resolv_conf).value(),
            "nameserver 192.0.2.53\nsearch example.test\n");

  spec_.host_resolv_conf = (tmp_.path() / "missing").string();
  paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(util::ReadFile(paths->resolv_conf).value(), "");
}

TEST_F(WritePodFilesTest, OnlyOptionsGiveAnOptionsLine) {
  spec_.dns_config.add_options("ndots:2");
  absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(util::ReadFile(paths->resolv_conf).value(), "options ndots:2\n");
}

TEST_F(WritePodFilesTest, RejectsBadFieldsByName) {
  spec_.dns_config.add_servers("10.96.0.10");
  spec_.dns_config.add_servers("not-an-ip");
  EXPECT_THAT(Error(), HasSubstr("dns_config.servers[1] \"not-an-ip\": not an IP address"));

  spec_.dns_config.clear_servers();
  spec_.dns_config.add_searches("ok.local");
  spec_.dns_config.add_searches("two words");
  EXPECT_THAT(Error(), HasSubstr("dns_config.searches[1]"));

  spec_.dns_config.clear_searches();
  spec_.dns_config.add_options("");
  EXPECT_THAT(Error(), HasSubstr("dns_config.options[0]"));

  spec_.dns_config.Clear();
  spec_.pod_ips = {"10.0.0.300"};
  EXPECT_THAT(Error(), HasSubstr("pod_ips[0]"));

  spec_.pod_ips.clear();
  spec_.hostname = "bad host";
  EXPECT_THAT(Error(), HasSubstr("hostname \"bad host\""));
  spec_.hostname = "";
  EXPECT_THAT(Error(), HasSubstr("hostname"));
  spec_.hostname = std::string(65, 'a');
  EXPECT_THAT(Error(), HasSubstr("1 to 64"));
}

TEST_F(WritePodFilesTest, RewritesFilesInPlace) {
  ASSERT_TRUE(WritePodFiles(dir_, spec_).ok());
  spec_.hostname = "pod-b";
  absl::StatusOr<PodFilePaths> paths = WritePodFiles(dir_, spec_);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(util::ReadFile(paths->hostname).value(), "pod-b\n");
}

}  // namespace
}  // namespace cloison::sandbox
