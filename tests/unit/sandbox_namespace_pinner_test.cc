#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/sandbox/namespace_pinner.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/command.h"
#include "test_tmpdir.h"

namespace cloison::sandbox {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Mount points listed in /proc/self/mountinfo at or below `prefix`.
std::vector<std::string> MountsUnder(const std::string& prefix) {
  std::vector<std::string> mounts;
  for (absl::string_view line :
       absl::StrSplit(util::ReadFile("/proc/self/mountinfo").value(), '\n')) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && absl::StartsWith(fields[4], prefix)) mounts.emplace_back(fields[4]);
  }
  return mounts;
}

std::string Output(const std::vector<std::string>& argv) {
  absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, std::chrono::seconds(10));
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return "";
  EXPECT_EQ(result->exit_code, 0) << argv[0] << " " << argv[1] << ": " << result->stderr_text;
  return result->stdout_text;
}

// Unpins whatever a test pinned, even when it fails half-way.
struct PinGuard {
  PinnedNamespaces pinned;
  ~PinGuard() { (void)UnpinNamespaces(pinned); }
};

class PinNamespacesTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  const std::string dir_ = (tmp_.path() / "sandboxes" / "pod1" / "ns").string();
};

TEST_F(PinNamespacesTest, PinsNetworkIpcUtsWithHostnameAndSysctls) {
  const std::string host_port_start =
      util::ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start").value();
  const std::string host_rmid = util::ReadFile("/proc/sys/kernel/shm_rmid_forced").value();
  PinRequest request;
  request.network = request.ipc = request.uts = true;
  request.hostname = "pod-a";
  request.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "0"}, {"kernel.shm_rmid_forced", "1"}};
  request.dir = dir_;

  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  PinGuard guard{*pinned};
  EXPECT_EQ(pinned->network, dir_ + "/net");
  EXPECT_EQ(pinned->ipc, dir_ + "/ipc");
  EXPECT_EQ(pinned->uts, dir_ + "/uts");
  EXPECT_THAT(MountsUnder(dir_),
              ::testing::UnorderedElementsAre(pinned->network, pinned->ipc, pinned->uts));

  EXPECT_THAT(Output({"nsenter", "--net=" + pinned->network, "ip", "-o", "link", "show", "lo"}),
              HasSubstr("<LOOPBACK,UP"));
  EXPECT_EQ(Output({"nsenter", "--uts=" + pinned->uts, "hostname"}), "pod-a\n");
  EXPECT_EQ(Output({"nsenter", "--net=" + pinned->network, "cat",
                    "/proc/sys/net/ipv4/ip_unprivileged_port_start"}),
            "0\n");
  EXPECT_EQ(Output({"nsenter", "--ipc=" + pinned->ipc, "cat", "/proc/sys/kernel/shm_rmid_forced"}),
            "1\n");
  EXPECT_EQ(util::ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start").value(),
            host_port_start);
  EXPECT_EQ(util::ReadFile("/proc/sys/kernel/shm_rmid_forced").value(), host_rmid);

  struct stat pinned_net {
  }, host_net{};
  ASSERT_EQ(stat(pinned->network.c_str(), &pinned_net), 0);
  ASSERT_EQ(stat("/proc/self/ns/net", &host_net), 0);
  EXPECT_NE(pinned_net.st_ino, host_net.st_ino);
  EXPECT_EQ(pinned_net.st_mode & 07777, 0444u);

  ASSERT_TRUE(UnpinNamespaces(*pinned).ok());
  EXPECT_THAT(MountsUnder(dir_), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(pinned->network));
  EXPECT_FALSE(std::filesystem::exists(pinned->ipc));
  EXPECT_FALSE(std::filesystem::exists(pinned->uts));
  EXPECT_TRUE(UnpinNamespaces(*pinned).ok()) << "idempotent";
}

// The inode of the user namespace that owns the namespace pinned at `path`.
ino_t OwningUserNamespace(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  const int owner = ioctl(fd, NS_GET_USERNS);
  EXPECT_GE(owner, 0) << path << ": " << std::strerror(errno);
  struct stat st {};
  EXPECT_EQ(fstat(owner, &st), 0);
  close(owner);
  close(fd);
  return st.st_ino;
}

TEST_F(PinNamespacesTest, PinsAUserNamespaceThatOwnsTheOthers) {
  PinRequest request;
  request.network = request.ipc = request.uts = request.user = true;
  request.uid_map = "0 310000 65536\n";
  request.gid_map = "0 320000 65536\n";
  request.hostname = "userns-pod";
  request.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "0"}};
  request.dir = dir_;

  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  PinGuard guard{*pinned};
  EXPECT_EQ(pinned->user, dir_ + "/user");
  EXPECT_THAT(MountsUnder(dir_),
              ::testing::UnorderedElementsAre(pinned->network, pinned->ipc, pinned->uts, pinned->user));
  EXPECT_THAT(Output({"nsenter", "--user=" + pinned->user, "cat", "/proc/self/uid_map"}),
              ::testing::MatchesRegex(" *0 +310000 +65536\n"));
  EXPECT_THAT(Output({"nsenter", "--user=" + pinned->user, "cat", "/proc/self/gid_map"}),
              ::testing::MatchesRegex(" *0 +320000 +65536\n"));
  EXPECT_EQ(Output({"nsenter", "--user=" + pinned->user, "cat", "/proc/self/setgroups"}), "allow\n");

  struct stat user {};
  ASSERT_EQ(stat(pinned->user.c_str(), &user), 0);
  for (const std::string* path : {&pinned->network, &pinned->ipc, &pinned->uts}) {
    EXPECT_EQ(OwningUserNamespace(*path), user.st_ino) << *path;
  }
  EXPECT_EQ(Output({"nsenter", "--uts=" + pinned->uts, "hostname"}), "userns-pod\n");
  EXPECT_EQ(Output({"nsenter", "--net=" + pinned->network, "cat",
                    "/proc/sys/net/ipv4/ip_unprivileged_port_start"}),
            "0\n");

  ASSERT_TRUE(UnpinNamespaces(*pinned).ok());
  EXPECT_THAT(MountsUnder(dir_), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(pinned->user));
}

TEST_F(PinNamespacesTest, AMapTheKernelRefusesLeavesNothingBehind) {
  PinRequest request;
  request.network = request.user = true;
  request.uid_map = "0 310000 65536\n0 310000 65536\n";  // overlapping lines
  request.gid_map = "0 310000 65536\n";
  request.dir = dir_;
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument) << pinned.status();
  EXPECT_THAT(std::string(pinned.status().message()),
              HasSubstr(absl::StrCat("/uid_map (\"", request.uid_map, "\"): ", std::strerror(EINVAL))));
  EXPECT_THAT(MountsUnder(dir_), IsEmpty());
}

TEST_F(PinNamespacesTest, PinsOnlyWhatIsRequested) {
  PinRequest request;
  request.ipc = true;
  request.dir = dir_;
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  PinGuard guard{*pinned};
  EXPECT_EQ(pinned->network, "");
  EXPECT_EQ(pinned->uts, "");
  EXPECT_THAT(MountsUnder(dir_), ::testing::ElementsAre(dir_ + "/ipc"));
}

TEST_F(PinNamespacesTest, RejectsSysctlsBeforeCreatingAnything) {
  PinRequest request;
  request.network = request.ipc = true;
  request.dir = dir_;
  request.sysctls = {{"kernel.panic", "1"}};
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pinned.status().message()), HasSubstr("linux.sysctls[\"kernel.panic\"]"));

  request.network = false;
  request.sysctls = {{"net.ipv4.ip_forward", "1"}};
  pinned = PinNamespaces(request);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pinned.status().message()),
              HasSubstr("linux.sysctls[\"net.ipv4.ip_forward\"]"));
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(PinNamespacesTest, RejectsBadRequests) {
  PinRequest request;
  request.network = true;
  request.dir = "relative/ns";
  EXPECT_EQ(PinNamespaces(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.dir = dir_;
  request.hostname = "pod-a";
  EXPECT_THAT(std::string(PinNamespaces(request).status().message()), HasSubstr("hostname"));
}

TEST_F(PinNamespacesTest, ValueTheKernelRejectsLeavesNothingBehind) {
  PinRequest request;
  request.network = request.ipc = request.uts = true;
  request.dir = dir_;
  request.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "notanumber"}};
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument) << pinned.status();
  EXPECT_THAT(
      std::string(pinned.status().message()),
      HasSubstr(
          "linux.sysctls[\"net.ipv4.ip_unprivileged_port_start\"]: the kernel rejects value"));
  EXPECT_THAT(MountsUnder(dir_), IsEmpty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(PinNamespacesTest, UnknownNetSysctlIsInvalid) {
  PinRequest request;
  request.network = true;
  request.dir = dir_;
  request.sysctls = {{"net.ipv4.no_such_sysctl", "1"}};
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument) << pinned.status();
  EXPECT_THAT(std::string(pinned.status().message()), HasSubstr("no such sysctl"));
}

TEST_F(PinNamespacesTest, FailureAfterSomeMountsUndoesThem) {
  std::filesystem::create_directories(dir_);
  const std::string stale_uts = tmp_.Write("sandboxes/pod1/ns/uts", "stale");
  PinRequest request;
  request.network = request.ipc = request.uts = true;
  request.dir = dir_;
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kAlreadyExists) << pinned.status();
  EXPECT_THAT(std::string(pinned.status().message()), HasSubstr(stale_uts));
  EXPECT_THAT(MountsUnder(dir_), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/net"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ipc"));
  EXPECT_EQ(util::ReadFile(stale_uts).value(), "stale") << "a file cloison did not create stays";
}

TEST_F(PinNamespacesTest, UnusableDirFailsWithoutMounts) {
  const std::string file = tmp_.Write("not-a-dir", "");
  PinRequest request;
  request.network = true;
  request.dir = file + "/ns";
  absl::StatusOr<PinnedNamespaces> pinned = PinNamespaces(request);
  EXPECT_FALSE(pinned.ok());
  EXPECT_THAT(std::string(pinned.status().message()), HasSubstr(file));
  EXPECT_THAT(MountsUnder(tmp_.path().string()), IsEmpty());
}

}  // namespace
}  // namespace cloison::sandbox
