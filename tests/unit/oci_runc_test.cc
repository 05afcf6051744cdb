// Runs generated specs with the real runc: proves runc 1.1 accepts what the builder writes
// and that the settings take effect inside the container. Needs root and runc; skipped
// otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cloison/oci/capabilities.h"
#include "cloison/oci/spec_builder.h"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

namespace fs = std::filesystem;
namespace v1 = runtime::v1;

constexpr char kCgroupParent[] = "cloison-oci-test";

bool HaveRunc() { return std::system("runc --version > /dev/null 2>&1") == 0; }

// The capabilities in this process's bounding set, as the daemon would pass them.
std::vector<std::string> BoundingSet() {
  static const char* const kNames[] = {"CHOWN",
                                       "DAC_OVERRIDE",
                                       "DAC_READ_SEARCH",
                                       "FOWNER",
                                       "FSETID",
                                       "KILL",
                                       "SETGID",
                                       "SETUID",
                                       "SETPCAP",
                                       "LINUX_IMMUTABLE",
                                       "NET_BIND_SERVICE",
                                       "NET_BROADCAST",
                                       "NET_ADMIN",
                                       "NET_RAW",
                                       "IPC_LOCK",
                                       "IPC_OWNER",
                                       "SYS_MODULE",
                                       "SYS_RAWIO",
                                       "SYS_CHROOT",
                                       "SYS_PTRACE",
                                       "SYS_PACCT",
                                       "SYS_ADMIN",
                                       "SYS_BOOT",
                                       "SYS_NICE",
                                       "SYS_RESOURCE",
                                       "SYS_TIME",
                                       "SYS_TTY_CONFIG",
                                       "MKNOD",
                                       "LEASE",
                                       "AUDIT_WRITE",
                                       "AUDIT_CONTROL",
                                       "SETFCAP",
                                       "MAC_OVERRIDE",
                                       "MAC_ADMIN",
                                       "SYSLOG",
                                       "WAKE_ALARM",
                                       "BLOCK_SUSPEND",
                                       "AUDIT_READ",
                                       "PERFMON",
                                       "BPF",
                                       "CHECKPOINT_RESTORE"};
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t mask = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapBnd:", 0) == 0) mask = std::stoull(line.substr(7), nullptr, 16);
  }
  std::vector<std::string> caps;
  for (size_t bit = 0; bit < std::size(kNames); ++bit) {
    if (mask & (uint64_t{1} << bit)) caps.push_back(kNames[bit]);
  }
  return caps;
}

class RuncAcceptsSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!HaveRunc()) GTEST_SKIP() << "needs runc";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "needs a static /bin/busybox";
    id_ = "cloison-oci-test-" + std::to_string(getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const fs::path rootfs = dir_.path() / "bundle/rootfs";
    fs::create_directories(rootfs / "bin");
    fs::create_directories(rootfs / "work");
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    fs::permissions(rootfs / "bin/busybox", fs::perms(0755));
    dir_.Write("bundle/rootfs/etc/passwd",
               "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/work:/bin/sh\n");
    dir_.Write("bundle/rootfs/etc/group", "root:x:0:\nstaff:x:50:app\n");
    dir_.Write("hostdata/hello", "hello");

    pod_.mutable_metadata()->set_name("oci-test");
    pod_.mutable_metadata()->set_namespace_("default");
    pod_.mutable_metadata()->set_uid("uid-1");
    input_.container_id = id_;
    input_.sandbox_id = id_;
    input_.sandbox_config = &pod_;
    input_.rootfs = rootfs.string();
    input_.cgroups_path = std::string("/") + kCgroupParent + "/" + id_;
    input_.hostname = "oci-test";
    input_.hosts_path = dir_.Write("hosts", "127.0.0.1 localhost oci-test\n");
    input_.available_capabilities = DefaultCapabilities();
    // Lowering oom_score_adj needs CAP_SYS_RESOURCE, which a test machine may lack: clamp to
    // our own score, as the daemon does with its own.
    std::ifstream("/proc/self/oom_score_adj") >> input_.min_oom_score_adj;
  }

  void TearDown() override {
    if (id_.empty()) return;
    const std::string root = (dir_.path() / "runc").string();
    std::system(("runc --root " + root + " delete -f " + id_ + " > /dev/null 2>&1").c_str());
    std::error_code ec;
    const fs::path base("/sys/fs/cgroup");
    fs::remove(base / kCgroupParent, ec);  // cgroup v2
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      fs::remove(entry.path() / kCgroupParent / id_, ec);
      fs::remove(entry.path() / kCgroupParent, ec);  // cgroup v1 hierarchies
    }
  }

  // Writes config.json, runs the container to completion, returns its exit code.
  int Run(const nlohmann::json& spec) {
    std::ofstream(dir_.path() / "bundle/config.json") << spec.dump(2);
    const std::string log = (dir_.path() / "runc.log").string();
    const std::string command = "runc --root " + (dir_.path() / "runc").string() +
                                " run --bundle " + (dir_.path() / "bundle").string() + " " + id_ +
                                " < /dev/null > " + log + " 2>&1";
    const int status = std::system(command.c_str());
    std::stringstream output;
    output << std::ifstream(log).rdbuf();
    output_ = output.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  testing::TempDir dir_;
  std::string id_;
  std::string output_;
  v1::PodSandboxConfig pod_;
  v1::ContainerConfig config_;
  ContainerSpecInput input_;
};

TEST_F(RuncAcceptsSpec, ContainerRunsTrue) {
  config_.add_command("/bin/busybox");
  config_.add_command("true");
  input_.config = &config_;
  absl::StatusOr<nlohmann::json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(Run(*spec), 0) << output_;
}

TEST_F(RuncAcceptsSpec, SettingsTakeEffectInside) {
  const std::string checks =
      "B=/bin/busybox; "
      "fail() { echo \"check failed: $1\"; exit 1; }; "
      "[ \"$($B id -u)\" = 1000 ] || fail uid; "
      "[ \"$($B id -g)\" = 1000 ] || fail gid; "
      "$B id -G | $B grep -qw 50 || fail groups; "
      "[ \"$($B hostname)\" = oci-test ] || fail hostname; "
      "[ \"$($B pwd)\" = /work ] || fail cwd; "
      "[ \"$MODE\" = prod ] || fail env; "
      "[ \"$HOSTNAME\" = oci-test ] || fail HOSTNAME; "
      "[ \"$($B cat /data/hello)\" = hello ] || fail bind; "
      "$B touch /data/new 2>/dev/null && fail readonly-bind; "
      "$B grep -q oci-test /etc/hosts || fail hosts; "
      "[ -z \"$($B cat /proc/kcore 2>/dev/null | $B head -c 1)\" ] || fail masked; "
      "exit 0";
  config_.add_command("/bin/busybox");
  config_.set_working_dir("/work");
  config_.add_args("sh");
  config_.add_args("-c");
  config_.add_args(checks);
  v1::KeyValue* env = config_.add_envs();
  env->set_key("MODE");
  env->set_value("prod");
  v1::Mount* mount = config_.add_mounts();
  mount->set_container_path("/data");
  mount->set_host_path((dir_.path() / "hostdata").string());
  mount->set_readonly(true);
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("app");
  sc->set_no_new_privs(true);
  sc->add_masked_paths("/proc/kcore");  // what kubelet sends, with its other defaults
  config_.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  config_.mutable_linux()->mutable_resources()->set_cpu_shares(256);
  input_.config = &config_;
  absl::StatusOr<nlohmann::json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(Run(*spec), 0) << output_;
}

TEST_F(RuncAcceptsSpec, PrivilegedContainerWithHostDevices) {
  pod_.mutable_linux()->mutable_security_context()->set_privileged(true);
  config_.mutable_linux()->mutable_security_context()->set_privileged(true);
  config_.add_command("/bin/busybox");
  config_.add_args("sh");
  config_.add_args("-c");
  config_.add_args("[ -c /dev/null ] && /bin/busybox grep -q '^sysfs /sys sysfs rw' /proc/mounts");
  input_.config = &config_;
  input_.available_capabilities = BoundingSet();
  absl::StatusOr<nlohmann::json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_GT((*spec)["linux"]["devices"].size(), 1u);
  EXPECT_EQ(Run(*spec), 0) << output_;
}

TEST_F(RuncAcceptsSpec, SandboxContainerRuns) {
  input_.sandbox_container = true;
  input_.image.entrypoint = {"/bin/busybox"};
  input_.image.cmd = {"true"};
  (*pod_.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "0";
  absl::StatusOr<nlohmann::json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(Run(*spec), 0) << output_;
}

}  // namespace
}  // namespace cloison::oci
