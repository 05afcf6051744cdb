// Integration tests of pods with their own user namespace (userns_options mode POD, what
// kubelet sends for hostUsers: false) on the real runc through cloisond: the mappings inside,
// root inside and the mapped uid outside, the ID-mapped image layers, one user namespace per
// pod shared by its containers, host-network pods, no mount left after removal (also across a
// daemon crash), bad mappings, and handlers that do not support user namespaces.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const char* const kBusybox = "/bin/busybox";

// A vm handler next to the default runc and runsc ones.
constexpr char kConfig[] =
    "[runtimes.runc-shim]\nruntime_type = \"vm\"\nruntime_path = \"containerd-shim-runc-v2\"\n";

// "0 100000 65536": the fields of a uid_map/gid_map file, single-spaced.
std::string Squeeze(const std::string& map) {
  std::istringstream in(map);
  std::string word, out;
  while (in >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

class UserNamespaces : public PodFixture {
 protected:
  UserNamespaces() : PodFixture(kConfig) {}

  void SetUp() override {
    // The pod's root (an unprivileged host uid) must be able to reach the rootfs and pod
    // files, as under /var/lib/cloison and /run/cloison; a temporary directory is 0700.
    ASSERT_EQ(chmod(daemon_.dir().path().c_str(), 0711), 0);
    PodFixture::SetUp();
  }

  v1::PodSandboxConfig UsernsPod(const std::string& name, uint32_t host_id,
                                 v1::NamespaceMode pid_mode = v1::NamespaceMode::CONTAINER) {
    v1::PodSandboxConfig pod = PodConfig(name, log_dir_, pid_mode);
    SetPodUserNamespace(pod.mutable_linux()->mutable_security_context()->mutable_namespace_options(), host_id);
    return pod;
  }

  // Creates and starts a sleeping container carrying the pod's namespace options, as kubelet does.
  std::string RunContainer(const TestPod& pod, const std::string& name) {
    v1::ContainerConfig config = ContainerConfig(name, image_, {kBusybox, "sleep", "1000"});
    *config.mutable_linux()->mutable_security_context()->mutable_namespace_options() =
        pod.config.linux().security_context().namespace_options();
    return PodFixture::RunContainer(pod, config);
  }

  std::string Shell(const std::string& id, const std::string& script) {
    v1::ExecSyncResponse response;
    const grpc::Status status = client_->Exec(id, {kBusybox, "sh", "-c", script}, 20, &response);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    EXPECT_EQ(response.exit_code(), 0) << script << ": " << response.stderr();
    return response.stdout();
  }

  // The container's process as the host sees it.
  int HostPid(const std::string& id) {
    v1::ContainerStatusResponse status;
    EXPECT_TRUE(client_->Status(id, &status, /*verbose=*/true).ok());
    const nlohmann::json info = nlohmann::json::parse(status.info().at("info"), nullptr, false);
    return info.value("pid", -1);
  }

  std::string UpperDir(const std::string& container_id) const {
    return (daemon_.dir().path() / "root" / "storage" / container_id / "upper").string();
  }
};

TEST_F(UserNamespaces, PodContainersRunAsRootInsideAndAsTheMappedIdOutside) {
  v1::StatusResponse runtime_status;
  ASSERT_TRUE(client_->RuntimeStatus(&runtime_status).ok());
  bool runc_listed = false;
  for (const v1::RuntimeHandler& handler : runtime_status.runtime_handlers()) {
    if (handler.name() != "runc") continue;
    runc_listed = true;
    EXPECT_TRUE(handler.features().user_namespaces());
  }
  EXPECT_TRUE(runc_listed);
  EXPECT_TRUE(runtime_status.features().user_namespaces_host_network());

  constexpr uint32_t kHostId = 231072;
  const TestPod pod = RunPod(UsernsPod("mapped", kHostId, v1::NamespaceMode::POD));  // with an infra container
  const std::string first = RunContainer(pod, "first");
  const std::string second = RunContainer(pod, "second");

  EXPECT_EQ(Squeeze(Shell(first, "cat /proc/self/uid_map")), "0 231072 65536");
  EXPECT_EQ(Squeeze(Shell(first, "cat /proc/self/gid_map")), "0 231072 65536");
  EXPECT_EQ(Shell(first, "/bin/busybox id -u; /bin/busybox id -g"), "0\n0\n");
  EXPECT_THAT(ReadText("/proc/" + std::to_string(HostPid(first)) + "/status"),
              HasSubstr("Uid:\t231072\t231072\t231072\t231072"));

  // The image's files (owned by host root in the layer store) are root's inside.
  EXPECT_EQ(Shell(first, "/bin/busybox stat -c %u:%g /bin/busybox /"), "0:0\n0:0\n");
  // The pod files and /dev/shm are usable by the container's root.
  EXPECT_EQ(Shell(first, "cat /etc/hostname"), "mapped\n");
  EXPECT_THAT(Shell(first, "cat /etc/hosts /etc/resolv.conf"), HasSubstr("localhost"));
  Shell(first, "echo shared > /dev/shm/probe && cat /dev/shm/probe");

  // What the container writes lands in its writable layer owned by the mapped ids.
  Shell(first, "echo hello > /created && /bin/busybox mkdir /made && /bin/busybox chown 1000:1000 /made");
  struct stat created {}, made{};
  ASSERT_EQ(stat((UpperDir(first) + "/created").c_str(), &created), 0);
  EXPECT_EQ(created.st_uid, kHostId);
  EXPECT_EQ(created.st_gid, kHostId);
  ASSERT_EQ(stat((UpperDir(first) + "/made").c_str(), &made), 0);
  EXPECT_EQ(made.st_uid, kHostId + 1000);
  // Changing an image file copies it up with its mapped owner.
  Shell(first, "echo '# changed' >> /etc/passwd");
  struct stat passwd {};
  ASSERT_EQ(stat((UpperDir(first) + "/etc/passwd").c_str(), &passwd), 0);
  EXPECT_EQ(passwd.st_uid, kHostId);

  // Both containers (and the infra container) share one user namespace, not the host's.
  const std::string userns = Shell(first, "/bin/busybox readlink /proc/self/ns/user");
  EXPECT_EQ(Shell(second, "/bin/busybox readlink /proc/self/ns/user"), userns);
  char host_userns[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/user", host_userns, sizeof(host_userns) - 1), 0);
  EXPECT_NE(userns, std::string(host_userns) + "\n");
  EXPECT_EQ(Shell(second, "[ -e /created ] || echo absent"), "absent\n") << "each container has its own rootfs";
}

TEST_F(UserNamespaces, PodsWithOtherMappingsAreIsolated) {
  const std::string a = RunContainer(RunPod(UsernsPod("pod-a", 400000)), "a");
  const std::string b = RunContainer(RunPod(UsernsPod("pod-b", 500000)), "b");
  EXPECT_EQ(Squeeze(Shell(a, "cat /proc/self/uid_map")), "0 400000 65536");
  EXPECT_EQ(Squeeze(Shell(b, "cat /proc/self/uid_map")), "0 500000 65536");
  EXPECT_NE(Shell(a, "/bin/busybox readlink /proc/self/ns/user"), Shell(b, "/bin/busybox readlink /proc/self/ns/user"));
  EXPECT_THAT(ReadText("/proc/" + std::to_string(HostPid(b)) + "/status"),
              HasSubstr("Uid:\t500000\t"));
  // A pod without userns_options stays in the host's user namespace.
  const std::string c = RunContainer(RunPod("plain"), "c");
  EXPECT_EQ(Squeeze(Shell(c, "cat /proc/self/uid_map")), "0 0 4294967295");
}

TEST_F(UserNamespaces, HostNetworkPodGetsTheHostsSys) {
  v1::PodSandboxConfig pod = UsernsPod("hostnet", 600000);
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NamespaceMode::NODE);
  const std::string id = RunContainer(RunPod(pod), "box");
  EXPECT_EQ(Squeeze(Shell(id, "cat /proc/self/uid_map")), "0 600000 65536");
  EXPECT_THAT(Shell(id, "ls /sys/class/net"), HasSubstr("lo"));
  char host_netns[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/net", host_netns, sizeof(host_netns) - 1), 0);
  EXPECT_EQ(Shell(id, "/bin/busybox readlink /proc/self/ns/net"), std::string(host_netns) + "\n");
}

TEST_F(UserNamespaces, NothingStaysMountedAfterRemovalAlsoAcrossACrash) {
  const TestPod pod = RunPod(UsernsPod("crash", 700000));
  RunContainer(pod, "kept");
  const std::string storage = (daemon_.dir().path() / "root" / "storage").string();
  EXPECT_THAT(MountsUnder(storage), ::testing::Not(IsEmpty())) << "the ID-mapped layers and the overlay";

  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);
  ASSERT_TRUE(client_->StopPod(pod.id).ok());
  ASSERT_TRUE(client_->RemovePod(pod.id).ok());
  EXPECT_THAT(MountsUnder(daemon_.dir().path().string()), IsEmpty());
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) EXPECT_EQ(line.find(daemon_.dir().path().string()), std::string::npos) << line;
}

TEST_F(UserNamespaces, BadMappingsAreInvalidArguments) {
  const auto expect_invalid = [&](const v1::PodSandboxConfig& pod, const std::string& field) {
    std::string id;
    const grpc::Status status = client_->RunPod(pod, &id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(field));
  };
  v1::PodSandboxConfig pod = UsernsPod("bad", 800000);
  v1::UserNamespace* userns =
      pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->mutable_userns_options();
  userns->clear_uids();
  expect_invalid(pod, "config.linux.security_context.namespace_options.userns_options.uids: empty");

  pod = UsernsPod("bad", 800000);
  userns = pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->mutable_userns_options();
  userns->mutable_gids(0)->set_length(0);
  expect_invalid(pod, "userns_options.gids[0].length: 0");

  pod = UsernsPod("bad", 800000);
  userns = pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->mutable_userns_options();
  *userns->add_uids() = userns->uids(0);
  expect_invalid(pod, "userns_options.uids[1].container_id: its range overlaps");

  pod = UsernsPod("bad", 800000);
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->mutable_userns_options()->set_mode(
      v1::NamespaceMode::TARGET);
  expect_invalid(pod, "userns_options.mode: TARGET");

  pod = UsernsPod("bad", 800000);
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(v1::NamespaceMode::NODE);
  expect_invalid(pod, "namespace_options.ipc: NODE");

  EXPECT_TRUE(client_->ListPods().empty());
}

TEST_F(UserNamespaces, HandlersWithoutUserNamespacesRefuse) {
  v1::StatusResponse runtime_status;
  ASSERT_TRUE(client_->RuntimeStatus(&runtime_status).ok());
  std::vector<std::string> refusing;
  for (const v1::RuntimeHandler& handler : runtime_status.runtime_handlers()) {
    if (handler.name() == "runsc" || handler.name() == "runc-shim") {
      EXPECT_FALSE(handler.features().user_namespaces()) << handler.name();
      refusing.push_back(handler.name());
    }
  }
  EXPECT_THAT(refusing, ::testing::Contains("runc-shim")) << "the vm handler is available wherever its shim is";
  for (const std::string& handler : refusing) {
    std::string id;
    const grpc::Status status = client_->RunPod(UsernsPod("refused-" + handler, 900000), &id, handler);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << handler << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("namespace_options.userns_options.mode: POD"));
    EXPECT_THAT(status.error_message(), HasSubstr(handler));
  }
  EXPECT_TRUE(client_->ListPods().empty());
}

}  // namespace
}  // namespace cloison::testing
