// Integration tests of what a pod's securityContext and resources promise, on the real runc
// through cloisond: capabilities (also of non-root users), masked/readonly paths, seccomp
// (RuntimeDefault, Localhost, bad profiles), users and groups, PID namespace targets,
// read-only rootfs, memory and CPU limits, UpdateContainerResources,
// UpdatePodSandboxResources, stats and metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "pod_fixture.h"
#include "wait_until.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

// The fixture image has only a few applet symlinks; everything else goes through busybox.
const char* const kBusybox = "/bin/busybox";

class Security : public PodFixture {
 protected:
  Security()
      : PodFixture([](const TempDir& files) {
          return "seccomp_profile_root = \"" + (files.path() / "seccomp").string() + "\"\n";
        }) {}

  std::string WriteProfile(const std::string& name, const std::string& text) {
    return files_.Write("seccomp/" + name, text);
  }

  // A container config running `command` (default: sleeping, for ExecSync).
  v1::ContainerConfig Config(const std::string& name,
                             const std::vector<std::string>& command = {kBusybox, "sleep", "1000"}) {
    return ContainerConfig(name, image_, command);
  }

  // Creates a pod and the container; the status of CreateContainer.
  grpc::Status Create(const v1::ContainerConfig& config, std::string* id) {
    pod_ = RunPod(config.metadata().name() + "-pod");
    return client_->Create(pod_.id, config, pod_.config, id);
  }

  // Creates a pod and the container, starts it; its id.
  std::string Run(const v1::ContainerConfig& config) {
    pod_ = RunPod(config.metadata().name() + "-pod");
    return RunContainer(pod_, config);
  }

  // A TARGET-mode (ephemeral) container config `name`, sharing the PID namespace of `target`.
  v1::ContainerConfig TargetingConfig(const std::string& name, const std::string& target) {
    v1::ContainerConfig config = Config(name);
    v1::NamespaceOption* ns = config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
    ns->set_pid(v1::NamespaceMode::TARGET);
    ns->set_target_id(target);
    return config;
  }

  // The state dir of container `id`, its bundle.
  std::string StateDirOf(const std::string& id) const {
    return (daemon_.dir().path() / "state" / "containers" / id).string();
  }

  TestPod pod_;  // the pod of the last Create or Run
};

TEST_F(Security, UnprivilegedCannotMountOrLoadModulesAndHasTheDefaultCapabilities) {
  const std::string id = Run(Config("plain"));
  v1::ExecSyncResponse mount = ExecSync(id, {kBusybox, "mount", "-t", "tmpfs", "none", "/mnt"});
  EXPECT_NE(mount.exit_code(), 0) << mount.stdout();
  v1::ExecSyncResponse insmod = ExecSync(id, {kBusybox, "insmod", "/bin/busybox"});
  EXPECT_NE(insmod.exit_code(), 0);
  // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE.
  EXPECT_THAT(Shell(id, "/bin/busybox grep CapEff /proc/self/status"), HasSubstr("CapEff:\t00000000000005fb"));
  EXPECT_THAT(Shell(id, "/bin/busybox grep CapBnd /proc/self/status"), HasSubstr("CapBnd:\t00000000000005fb"));
}

TEST_F(Security, RuntimeDefaultBlocksUnshare) {
  v1::ContainerConfig unconfined = Config("unconfined");
  unconfined.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      v1::SecurityProfile::Unconfined);
  const std::string open_id = Run(unconfined);
  v1::ExecSyncResponse allowed = ExecSync(open_id, {kBusybox, "unshare", "-U", kBusybox, "true"});
  if (allowed.exit_code() != 0) GTEST_SKIP() << "this host refuses user namespaces: " << allowed.stderr();

  v1::ContainerConfig confined = Config("confined");
  confined.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      v1::SecurityProfile::RuntimeDefault);
  const std::string id = Run(confined);
  v1::ExecSyncResponse denied = ExecSync(id, {kBusybox, "unshare", "-U", kBusybox, "true"});
  EXPECT_NE(denied.exit_code(), 0);
  EXPECT_THAT(denied.stderr(), HasSubstr("Operation not permitted"));
  EXPECT_EQ(ExecSync(id, {kBusybox, "true"}).exit_code(), 0);  // ordinary work still runs
  EXPECT_THAT(Shell(id, "/bin/busybox grep Seccomp: /proc/self/status"), HasSubstr("Seccomp:\t2"));
}

TEST_F(Security, InfraContainerRunsUnderThePodsProfile) {
  v1::PodSandboxConfig pod = PodConfig("infra", log_dir_, v1::NamespaceMode::POD);
  pod.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      v1::SecurityProfile::RuntimeDefault);
  std::string pod_id;
  grpc::Status status = client_->RunPod(pod, &pod_id);
  ASSERT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
  v1::PodSandboxStatusResponse pod_status;
  ASSERT_TRUE(client_->PodStatus(pod_id, &pod_status).ok());
  EXPECT_EQ(pod_status.status().state(), v1::SANDBOX_READY);

  pod.mutable_metadata()->set_name("infra-bad");
  pod.mutable_metadata()->set_uid("uid-infra-bad");
  pod.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(v1::SecurityProfile::Localhost);
  pod.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_localhost_ref("/etc/passwd");
  status = client_->RunPod(pod, &pod_id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("sandbox_config.linux.security_context.seccomp.localhost_ref"));
}

TEST_F(Security, LocalhostProfileIsApplied) {
  const std::string profile = WriteProfile("no-mkdir.json", R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat", "not_a_real_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
  })");
  v1::ContainerConfig config = Config("local");
  v1::SecurityProfile* seccomp = config.mutable_linux()->mutable_security_context()->mutable_seccomp();
  seccomp->set_profile_type(v1::SecurityProfile::Localhost);
  seccomp->set_localhost_ref(profile);
  const std::string id = Run(config);
  v1::ExecSyncResponse mkdir = ExecSync(id, {kBusybox, "mkdir", "/tmp/x"});
  EXPECT_NE(mkdir.exit_code(), 0);
  EXPECT_THAT(mkdir.stderr(), HasSubstr("Operation not permitted"));
  EXPECT_EQ(ExecSync(id, {kBusybox, "touch", "/tmp/y"}).exit_code(), 0);
  EXPECT_THAT(daemon_.Log(), HasSubstr("not_a_real_syscall"));
}

TEST_F(Security, BadProfilesAreRejected) {
  const std::string bad = WriteProfile("bad.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)");
  v1::ContainerConfig config = Config("bad");
  v1::SecurityProfile* seccomp = config.mutable_linux()->mutable_security_context()->mutable_seccomp();
  seccomp->set_profile_type(v1::SecurityProfile::Localhost);
  seccomp->set_localhost_ref(bad);
  std::string id;
  grpc::Status status = Create(config, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("config.linux.security_context.seccomp.localhost_ref"));
  EXPECT_THAT(status.error_message(), HasSubstr("is not valid JSON"));

  const std::string outside = files_.Write("elsewhere.json", R"({"defaultAction": "SCMP_ACT_ALLOW"})");
  seccomp->set_localhost_ref(outside);
  config.mutable_metadata()->set_name("outside");
  status = client_->Create(pod_.id, config, pod_.config, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("is not under the seccomp profile root"));

  const std::string wrong_action =
      WriteProfile("action.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "ALLOW"}]})");
  seccomp->set_localhost_ref(wrong_action);
  config.mutable_metadata()->set_name("action");
  status = client_->Create(pod_.id, config, pod_.config, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("syscalls[0].action \"ALLOW\" is not a seccomp action"));

  v1::ContainerConfig apparmor = Config("apparmor");
  apparmor.mutable_linux()->mutable_security_context()->mutable_apparmor()->set_profile_type(
      v1::SecurityProfile::Localhost);
  apparmor.mutable_linux()->mutable_security_context()->mutable_apparmor()->set_localhost_ref("k8s-x");
  status = client_->Create(pod_.id, apparmor, pod_.config, &id);
  if (!std::filesystem::exists("/sys/module/apparmor/parameters/enabled")) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("AppArmor is not enabled on this host"));
  }
  EXPECT_TRUE(client_->List().empty());  // nothing left behind by the failed creates
}

TEST_F(Security, RunAsUserAndSupplementalGroups) {
  v1::ContainerConfig config = Config("user");
  v1::LinuxContainerSecurityContext* sc = config.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1000);
  sc->mutable_run_as_group()->set_value(3000);
  sc->add_supplemental_groups(4000);
  sc->add_supplemental_groups(5000);
  const std::string id = Run(config);
  const std::string id_output = ExecSync(id, {kBusybox, "id"}).stdout();
  EXPECT_THAT(id_output, HasSubstr("uid=1000"));
  EXPECT_THAT(id_output, HasSubstr("gid=3000"));
  EXPECT_THAT(id_output, HasSubstr("4000"));
  EXPECT_THAT(id_output, HasSubstr("5000"));
}

TEST_F(Security, ReadonlyRootfsRefusesWrites) {
  v1::ContainerConfig config = Config("ro");
  config.mutable_linux()->mutable_security_context()->set_readonly_rootfs(true);
  const std::string id = Run(config);
  v1::ExecSyncResponse touch = ExecSync(id, {kBusybox, "touch", "/file"});
  EXPECT_NE(touch.exit_code(), 0);
  EXPECT_THAT(touch.stderr(), HasSubstr("Read-only file system"));
}

TEST_F(Security, MemoryLimitOomKills) {
  v1::ContainerConfig config = Config("oom", {kBusybox, "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"});
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(20 << 20);
  config.mutable_linux()->mutable_resources()->set_memory_swap_limit_in_bytes(20 << 20);
  const std::string id = Run(config);
  const v1::ContainerStatus status = client_->WaitExited(id, std::chrono::seconds(30));
  EXPECT_EQ(status.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(status.reason(), "OOMKilled") << daemon_.Log();
  EXPECT_EQ(status.exit_code(), 137);
}

TEST_F(Security, CpuQuotaIsInTheCgroupAndUpdateChangesIt) {
  v1::ContainerConfig config = Config("cpu");
  v1::LinuxContainerResources* resources = config.mutable_linux()->mutable_resources();
  resources->set_cpu_period(100000);
  resources->set_cpu_quota(50000);
  resources->set_memory_limit_in_bytes(64 << 20);
  const std::string id = Run(config);
  EXPECT_EQ(Shell(id, "/bin/busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"), "50000\n");
  EXPECT_EQ(Shell(id, "/bin/busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes"), "67108864\n");
  const v1::ContainerStatus status_before = client_->StatusOf(id);
  ASSERT_TRUE(status_before.resources().has_linux());
  EXPECT_EQ(status_before.resources().linux().cpu_quota(), 50000);
  EXPECT_EQ(status_before.resources().linux().memory_limit_in_bytes(), 64 << 20);

  v1::LinuxContainerResources update;
  update.set_cpu_period(100000);
  update.set_cpu_quota(20000);
  update.set_memory_limit_in_bytes(32 << 20);
  grpc::Status status = client_->UpdateResources(id, update);
  ASSERT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
  EXPECT_EQ(Shell(id, "/bin/busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"), "20000\n");
  EXPECT_EQ(Shell(id, "/bin/busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes"), "33554432\n");
  const v1::LinuxContainerResources applied = client_->StatusOf(id).resources().linux();
  EXPECT_EQ(applied.cpu_period(), 100000);
  EXPECT_EQ(applied.cpu_quota(), 20000);
  EXPECT_EQ(applied.memory_limit_in_bytes(), 32 << 20);

  v1::ContainerStatusResponse verbose;
  ASSERT_TRUE(client_->Status(id, &verbose, true).ok());
  EXPECT_THAT(verbose.info().at("info"), HasSubstr("\"quota\":20000"));
  EXPECT_EQ(client_->UpdateResources("no-such-container", update).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(Security, StatsShowABusyContainersCpuRising) {
  v1::ContainerConfig config = Config("busy", {kBusybox, "sh", "-c", "while :; do :; done"});
  // 16 MiB of swap on top of the memory limit (the limit kubelet gives with LimitedSwap).
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(256 << 20);
  config.mutable_linux()->mutable_resources()->set_memory_swap_limit_in_bytes((256 + 16) << 20);
  const std::string id = Run(config);
  ASSERT_EQ(ExecSync(id, {kBusybox, "dd", "if=/dev/zero", "of=/data", "bs=1M", "count=2"}).exit_code(), 0);
  v1::ContainerStats first, second;
  ASSERT_TRUE(client_->Stats(id, &first).ok());
  // Until a sample shows the spinning shell's usage risen (a loaded machine may not run it at
  // once); the samples before it, which usage_nano_cores is computed against, equal the first.
  ASSERT_TRUE(WaitUntil([&] {
    return client_->Stats(id, &second).ok() &&
           second.cpu().usage_core_nano_seconds().value() > first.cpu().usage_core_nano_seconds().value();
  })) << "the busy container's CPU usage did not rise";
  EXPECT_EQ(second.attributes().id(), id);
  EXPECT_EQ(second.attributes().metadata().name(), "busy");
  EXPECT_GT(second.cpu().usage_core_nano_seconds().value(), first.cpu().usage_core_nano_seconds().value());
  EXPECT_GT(second.cpu().usage_nano_cores().value(), 0u);  // a rate against the first sample (its size depends on the load)
  EXPECT_GT(second.memory().working_set_bytes().value(), 0u);
  EXPECT_GE(second.writable_layer().used_bytes().value(), 2u << 20);
  EXPECT_GE(second.writable_layer().inodes_used().value(), 2u);
  if (std::filesystem::exists("/sys/fs/cgroup/memory/memory.memsw.usage_in_bytes")) {  // v1 swap accounting
    ASSERT_TRUE(second.has_swap());
    EXPECT_GT(second.swap().timestamp(), 0);
    ASSERT_TRUE(second.swap().has_swap_usage_bytes());
    EXPECT_EQ(second.swap().swap_usage_bytes().value() + second.swap().swap_available_bytes().value(), 16u << 20);
  }

  v1::ContainerStatsFilter by_pod;
  by_pod.set_pod_sandbox_id(pod_.id);
  EXPECT_EQ(client_->ListStats(by_pod).size(), 1u);
  v1::ContainerStatsFilter by_label;
  (*by_label.mutable_label_selector())["container"] = "other";
  EXPECT_TRUE(client_->ListStats(by_label).empty());

  v1::PodSandboxStats pod;
  ASSERT_TRUE(client_->PodStats(pod_.id, &pod).ok());
  EXPECT_EQ(pod.attributes().id(), pod_.id);
  ASSERT_EQ(pod.linux().containers_size(), 1);
  EXPECT_GE(pod.linux().cpu().usage_core_nano_seconds().value(), second.cpu().usage_core_nano_seconds().value());
  EXPECT_GE(pod.linux().process().process_count().value(), 1u);
  EXPECT_EQ(pod.linux().network().default_interface().name().empty(), !pod.linux().has_network());
  v1::PodSandboxStatsFilter pods;
  pods.set_id(pod_.id);
  EXPECT_EQ(client_->ListPodStats(pods).size(), 1u);
}

TEST_F(Security, NonRootUserStartsWithoutEffectiveCapabilities) {
  v1::ContainerConfig config = Config("nonroot");
  config.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1000);
  const std::string id = Run(config);
  const std::string status = Shell(id, "/bin/busybox grep Cap /proc/self/status");
  EXPECT_THAT(status, HasSubstr("CapEff:\t0000000000000000"));
  EXPECT_THAT(status, HasSubstr("CapPrm:\t0000000000000000"));
  EXPECT_THAT(status, HasSubstr("CapAmb:\t0000000000000000"));
  EXPECT_THAT(status, HasSubstr("CapBnd:\t00000000000005fb"));  // still bounds file capabilities
  EXPECT_EQ(ExecSync(id, {kBusybox, "id", "-u"}).stdout(), "1000\n");
}

TEST_F(Security, MaskedAndReadonlyPathsAreTheCriListsOrTheDefaults) {
  // What kubelet sends for procMount: Default (a part of its lists) ...
  v1::ContainerConfig masked = Config("masked");
  masked.mutable_linux()->mutable_security_context()->add_masked_paths("/proc/timer_list");
  masked.mutable_linux()->mutable_security_context()->add_readonly_paths("/proc/sys");
  const std::string masked_id = Run(masked);
  EXPECT_EQ(Shell(masked_id, "/bin/busybox wc -c < /proc/timer_list"), "0\n");
  EXPECT_THAT(Shell(masked_id, "/bin/busybox grep ' /proc/sys ' /proc/mounts"), HasSubstr("ro,"));
  EXPECT_EQ(Shell(masked_id, "/bin/busybox grep -c ' /proc/keys ' /proc/mounts"), "0\n");

  // ... and no lists at all: the defaults.
  const std::string default_id = Run(Config("defaults"));
  EXPECT_EQ(Shell(default_id, "/bin/busybox grep -c ' /proc/keys ' /proc/mounts"), "1\n");
  EXPECT_THAT(Shell(default_id, "/bin/busybox grep ' /proc/sys ' /proc/mounts"), HasSubstr("ro,"));
}

TEST_F(Security, EphemeralContainerSeesItsTargetsProcesses) {
  const std::string target = Run(Config("target", {kBusybox, "sleep", "4242"}));
  v1::ContainerConfig debug = Config("debug");
  v1::NamespaceOption* ns = debug.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(v1::NamespaceMode::TARGET);
  ns->set_target_id(target);
  std::string debug_id;
  ASSERT_TRUE(client_->Create(pod_.id, debug, pod_.config, &debug_id).ok()) << daemon_.Log();
  // It joins the target's PID namespace through a pin of it in its own dir, not by the pid.
  EXPECT_THAT(MountsUnder(StateDirOf(debug_id)), ::testing::ElementsAre(StateDirOf(debug_id) + "/ns/pid"));
  ASSERT_TRUE(client_->Start(debug_id).ok()) << daemon_.Log();
  EXPECT_THAT(ExecSync(debug_id, {kBusybox, "ps"}).stdout(), HasSubstr("sleep 4242"));
  ASSERT_TRUE(client_->Remove(debug_id).ok()) << daemon_.Log();
  EXPECT_THAT(MountsUnder(StateDirOf(debug_id)), ::testing::IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(StateDirOf(debug_id)));

  // A container of its own PID namespace does not.
  std::string other_id;
  ASSERT_TRUE(client_->Create(pod_.id, Config("other"), pod_.config, &other_id).ok());
  ASSERT_TRUE(client_->Start(other_id).ok());
  EXPECT_THAT(ExecSync(other_id, {kBusybox, "ps"}).stdout(), ::testing::Not(HasSubstr("sleep 4242")));

  ns->set_target_id("0123456789abcdef");
  debug.mutable_metadata()->set_name("debug-missing");
  std::string missing_id;
  const grpc::Status missing = client_->Create(pod_.id, debug, pod_.config, &missing_id);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND) << missing.error_message();
  EXPECT_THAT(missing.error_message(), HasSubstr("namespace_options.target_id"));
}

TEST_F(Security, EphemeralContainerWhoseTargetStoppedBeforeItsStartFailsCleanly) {
  const std::string target = Run(Config("gone-target", {kBusybox, "sleep", "4343"}));
  std::string debug_id;
  ASSERT_TRUE(client_->Create(pod_.id, TargetingConfig("late-debug", target), pod_.config, &debug_id).ok())
      << daemon_.Log();
  ASSERT_TRUE(client_->Stop(target, 0).ok());
  // The pinned namespace outlives its processes, but no process can enter it any more.
  const grpc::Status started = client_->Start(debug_id);
  EXPECT_EQ(started.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << started.error_message();
  EXPECT_THAT(started.error_message(), HasSubstr("namespace_options.target_id: container " + target));
  v1::ContainerStatusResponse status;
  ASSERT_TRUE(client_->Status(debug_id, &status).ok());
  EXPECT_EQ(status.status().state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(status.status().reason(), "StartError");
  EXPECT_THAT(status.status().message(), HasSubstr("is no longer running"));
  EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(debug_id).empty(); })) << daemon_.Log();
  ASSERT_TRUE(client_->Remove(debug_id).ok()) << daemon_.Log();
  EXPECT_THAT(MountsUnder(StateDirOf(debug_id)), ::testing::IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(StateDirOf(debug_id)));
}

// The marker of a CreateContainer cut short once the target's PID namespace was pinned.
TEST_F(Security, EphemeralContainerWhoseCreateWasInterruptedLeavesNoPin) {
  const std::string target = Run(Config("kept-target", {kBusybox, "sleep", "4444"}));
  std::string debug_id;
  ASSERT_TRUE(client_->Create(pod_.id, TargetingConfig("cut-debug", target), pod_.config, &debug_id).ok())
      << daemon_.Log();
  ASSERT_THAT(MountsUnder(StateDirOf(debug_id)), ::testing::ElementsAre(StateDirOf(debug_id) + "/ns/pid"));
  CrashDaemon();
  RewriteRecord("containers", debug_id, [](nlohmann::json& record) { record["state"] = "creating"; });
  RestartDaemon();

  const std::vector<v1::Container> containers = client_->List();
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers[0].id(), target);
  EXPECT_THAT(MountsUnder(StateDirOf(debug_id)), ::testing::IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(StateDirOf(debug_id)));
}

TEST_F(Security, EphemeralContainerCannotTargetAHostPidContainer) {
  pod_ = RunPod("host-pid-pod", "", v1::NamespaceMode::NODE);
  const std::string target = RunContainer(pod_, Config("host-pid-target"));
  std::string debug_id;
  const grpc::Status refused = client_->Create(pod_.id, TargetingConfig("host-debug", target), pod_.config, &debug_id);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("namespace_options.target_id"));
  EXPECT_THAT(refused.error_message(), HasSubstr("PID namespace, the host's"));
  // Nothing of the refused container is left: no record, no pin, no dir but the target's.
  EXPECT_EQ(client_->List().size(), 1u);
  const std::string containers = (daemon_.dir().path() / "state" / "containers").string();
  EXPECT_THAT(MountsUnder(containers + "/"), ::testing::Not(::testing::Contains(HasSubstr("/ns/pid"))));
  size_t dirs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(containers)) dirs += entry.is_directory() ? 1 : 0;
  EXPECT_EQ(dirs, 1u);
}

TEST_F(Security, StrictSupplementalGroupsAndTheUserInContainerStatus) {
  v1::ContainerConfig config = Config("strict");
  v1::LinuxContainerSecurityContext* sc = config.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("app");
  sc->add_supplemental_groups(4000);
  sc->set_supplemental_groups_policy(v1::Strict);
  const std::string id = Run(config);
  EXPECT_EQ(ExecSync(id, {kBusybox, "id", "-G"}).stdout(), "1000 4000\n");

  v1::ContainerStatusResponse status;
  ASSERT_TRUE(client_->Status(id, &status).ok());
  const v1::LinuxContainerUser& user = status.status().user().linux();
  EXPECT_EQ(user.uid(), 1000);
  EXPECT_EQ(user.gid(), 1000);
  EXPECT_THAT(std::vector<int64_t>(user.supplemental_groups().begin(), user.supplemental_groups().end()),
              ::testing::ElementsAre(1000, 4000));

  v1::StatusResponse runtime_status;
  ASSERT_TRUE(client_->RuntimeStatus(&runtime_status).ok());
  EXPECT_TRUE(runtime_status.features().supplemental_groups_policy());
}

// The first line of a cgroup v1 file, or "" when the host has no v1 memory/cpu hierarchy.
std::string CgroupFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST_F(Security, PodCgroupLimitsFollowUpdatePodSandboxResources) {
  if (!std::filesystem::exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
    GTEST_SKIP() << "needs the cgroup v1 memory hierarchy";
  }
  const std::string parent = "/cloison-sec-" + std::to_string(getpid()) + "/pod-res";
  pod_.config = PodConfig("res", log_dir_);
  pod_.config.mutable_linux()->set_cgroup_parent(parent);
  pod_.config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  pod_.config.mutable_linux()->mutable_overhead()->set_memory_limit_in_bytes(16 << 20);
  pod_.config.mutable_linux()->mutable_resources()->set_cpu_quota(50000);
  pod_.config.mutable_linux()->mutable_resources()->set_cpu_period(100000);
  std::string pod_id;
  ASSERT_TRUE(client_->RunPod(pod_.config, &pod_id).ok()) << daemon_.Log();
  EXPECT_EQ(CgroupFile("/sys/fs/cgroup/memory" + parent + "/memory.limit_in_bytes"), std::to_string(80 << 20));
  EXPECT_EQ(CgroupFile("/sys/fs/cgroup/cpu" + parent + "/cpu.cfs_quota_us"), "50000");

  v1::LinuxContainerResources overhead, resources;
  overhead.set_memory_limit_in_bytes(8 << 20);
  resources.set_memory_limit_in_bytes(128 << 20);
  resources.set_cpu_quota(30000);
  resources.set_cpu_period(100000);
  const grpc::Status status = client_->UpdatePodResources(pod_id, overhead, resources);
  ASSERT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
  EXPECT_EQ(CgroupFile("/sys/fs/cgroup/memory" + parent + "/memory.limit_in_bytes"), std::to_string(136 << 20));
  EXPECT_EQ(CgroupFile("/sys/fs/cgroup/cpu" + parent + "/cpu.cfs_quota_us"), "30000");
  v1::PodSandboxStatusResponse verbose;
  ASSERT_TRUE(client_->PodStatus(pod_id, &verbose, true).ok());
  EXPECT_THAT(verbose.info().at("info"), HasSubstr(R"("overhead":{"memoryLimitInBytes":"8388608"})"));
  EXPECT_THAT(verbose.info().at("info"), HasSubstr(R"("memoryLimitInBytes":"134217728")"));

  EXPECT_EQ(client_->UpdatePodResources("no-such-pod", overhead, resources).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(Security, UpdatePodSandboxResourcesLiftsTheLimitsItLeavesUnset) {
  if (!std::filesystem::exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
    GTEST_SKIP() << "needs the cgroup v1 memory hierarchy";
  }
  const std::string top = "/cloison-sec-" + std::to_string(getpid());
  const std::string parent = top + "/pod-lift";
  pod_.config = PodConfig("lift", log_dir_);
  pod_.config.mutable_linux()->set_cgroup_parent(parent);
  pod_.config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  pod_.config.mutable_linux()->mutable_resources()->set_cpu_quota(50000);
  pod_.config.mutable_linux()->mutable_resources()->set_cpu_period(100000);
  std::string pod_id;
  ASSERT_TRUE(client_->RunPod(pod_.config, &pod_id).ok()) << daemon_.Log();
  const std::string memory_limit = "/sys/fs/cgroup/memory" + parent + "/memory.limit_in_bytes";
  ASSERT_EQ(CgroupFile(memory_limit), std::to_string(64 << 20));

  v1::LinuxContainerResources no_overhead, cpu_only;
  cpu_only.set_cpu_shares(256);
  const grpc::Status status = client_->UpdatePodResources(pod_id, no_overhead, cpu_only);
  ASSERT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
  // Unlimited: what the (cloison-made, unlimited) parent cgroup reads.
  EXPECT_EQ(CgroupFile(memory_limit), CgroupFile("/sys/fs/cgroup/memory" + top + "/memory.limit_in_bytes"));
  EXPECT_NE(CgroupFile(memory_limit), std::to_string(64 << 20));
  EXPECT_EQ(CgroupFile("/sys/fs/cgroup/cpu" + parent + "/cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(CgroupFile("/sys/fs/cgroup/cpu" + parent + "/cpu.shares"), "256");
}

TEST_F(Security, MetricsCarryTheContainersStats) {
  const std::string id = Run(Config("metrics", {kBusybox, "sh", "-c", "while :; do :; done"}));
  std::map<std::string, v1::MetricDescriptor> descriptors;
  for (const v1::MetricDescriptor& descriptor : client_->MetricDescriptors()) {
    descriptors[descriptor.name()] = descriptor;
  }
  for (const char* name : {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                           "container_memory_usage_bytes", "container_network_receive_bytes_total"}) {
    EXPECT_TRUE(descriptors.contains(name)) << name;
  }
  // Until the spinning shell has used a CPU second, so that the metric is not 0.
  v1::ContainerStats before;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    ASSERT_TRUE(client_->Stats(id, &before).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (before.cpu().usage_core_nano_seconds().value() < 1'000'000'000 &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_GE(before.cpu().usage_core_nano_seconds().value(), 1'000'000'000u);

  const std::vector<v1::PodSandboxMetrics> pods = client_->PodMetrics();
  v1::ContainerStats after;
  ASSERT_TRUE(client_->Stats(id, &after).ok());
  const auto pod = std::find_if(pods.begin(), pods.end(),
                                [&](const v1::PodSandboxMetrics& m) { return m.pod_sandbox_id() == pod_.id; });
  ASSERT_NE(pod, pods.end());
  ASSERT_EQ(pod->container_metrics_size(), 1);
  const v1::ContainerMetrics& container = pod->container_metrics(0);
  EXPECT_EQ(container.container_id(), id);
  std::map<std::string, v1::Metric> by_name;
  for (const v1::Metric& metric : container.metrics()) {
    ASSERT_TRUE(descriptors.contains(metric.name())) << metric.name();
    EXPECT_EQ(metric.label_values_size(), descriptors[metric.name()].label_keys_size()) << metric.name();
    by_name.emplace(metric.name(), metric);
  }
  ASSERT_TRUE(by_name.contains("container_cpu_usage_seconds_total"));
  const v1::Metric& cpu = by_name["container_cpu_usage_seconds_total"];
  EXPECT_EQ(cpu.metric_type(), v1::COUNTER);
  EXPECT_GE(cpu.value().value(), before.cpu().usage_core_nano_seconds().value() / 1'000'000'000);
  EXPECT_LE(cpu.value().value(), after.cpu().usage_core_nano_seconds().value() / 1'000'000'000);
  EXPECT_THAT(std::vector<std::string>(cpu.label_values().begin(), cpu.label_values().end()),
              ::testing::ElementsAre(id, "metrics"));
  ASSERT_TRUE(by_name.contains("container_memory_working_set_bytes"));
  EXPECT_EQ(by_name["container_memory_working_set_bytes"].metric_type(), v1::GAUGE);
  EXPECT_GT(by_name["container_memory_working_set_bytes"].value().value(), 0u);
}

}  // namespace
}  // namespace cloison::testing
