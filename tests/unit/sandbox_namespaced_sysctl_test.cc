#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/sandbox/namespaced_sysctl.h"

namespace cloison::sandbox {
namespace {

using ::testing::HasSubstr;

constexpr OwnNamespaces kAll{true, true, true};

std::string PathOf(absl::string_view key, const OwnNamespaces& own = kAll) {
  absl::StatusOr<std::string> path = NamespacedSysctlPath(key, own);
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

std::string ErrorOf(absl::string_view key, const OwnNamespaces& own = kAll) {
  absl::StatusOr<std::string> path = NamespacedSysctlPath(key, own);
  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument) << key;
  return std::string(path.status().message());
}

TEST(NamespacedSysctlPath, MapsBothSpellings) {
  EXPECT_EQ(PathOf("net.ipv4.ip_unprivileged_port_start"),
            "/proc/sys/net/ipv4/ip_unprivileged_port_start");
  EXPECT_EQ(PathOf("net.ipv4.conf.eth0/100.forwarding"),
            "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
  EXPECT_EQ(PathOf("net/ipv4/conf/eth0.100/forwarding"),
            "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
  EXPECT_EQ(PathOf("kernel.shm_rmid_forced"), "/proc/sys/kernel/shm_rmid_forced");
  EXPECT_EQ(PathOf("kernel.sem"), "/proc/sys/kernel/sem");
  EXPECT_EQ(PathOf("fs.mqueue.msg_max"), "/proc/sys/fs/mqueue/msg_max");
  EXPECT_EQ(PathOf("kernel.domainname"), "/proc/sys/kernel/domainname");
}

TEST(NamespacedSysctlPath, RejectsNodeWideSysctls) {
  EXPECT_THAT(ErrorOf("kernel.panic"),
              HasSubstr("linux.sysctls[\"kernel.panic\"]: not a namespaced sysctl"));
  EXPECT_THAT(ErrorOf("vm.swappiness"), HasSubstr("not a namespaced sysctl"));
  EXPECT_THAT(ErrorOf("kernel.shm_next_idx"), HasSubstr("not a namespaced sysctl"));
  EXPECT_THAT(ErrorOf("fs.file-max"), HasSubstr("not a namespaced sysctl"));
}

TEST(NamespacedSysctlPath, RejectsSysctlsOfSharedHostNamespaces) {
  EXPECT_THAT(
      ErrorOf("net.ipv4.ip_forward", {false, true, true}),
      HasSubstr(
          "linux.sysctls[\"net.ipv4.ip_forward\"]: a net.* sysctl needs the pod's own network"));
  EXPECT_THAT(ErrorOf("kernel.msgmax", {true, false, true}), HasSubstr("own IPC namespace"));
  EXPECT_THAT(ErrorOf("fs.mqueue.queues_max", {true, false, true}), HasSubstr("own IPC namespace"));
  EXPECT_THAT(ErrorOf("kernel.hostname", {true, true, false}), HasSubstr("own UTS namespace"));
}

TEST(NamespacedSysctlPath, RejectsMalformedNames) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("net.ipv4..forwarding"), HasSubstr("malformed"));
  EXPECT_THAT(ErrorOf("net/../../etc/passwd"), HasSubstr("malformed"));
  EXPECT_THAT(ErrorOf("net.ipv4.ip forward"), HasSubstr("invalid character"));
  EXPECT_THAT(ErrorOf("net.ipv4.ip_forward\n"), HasSubstr("invalid character"));
}

}  // namespace
}  // namespace cloison::sandbox
