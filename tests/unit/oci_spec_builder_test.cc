#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloison/oci/spec_builder.h"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = runtime::v1;

const std::string kContainerId(64, 'c');
const std::string kSandboxId(64, 'a');

class SpecBuilder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("rootfs/etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    dir_.Write("rootfs/etc/group", "root:x:0:\nstaff:x:50:app\n");
    pod_.mutable_metadata()->set_name("web-0");
    pod_.mutable_metadata()->set_namespace_("prod");
    pod_.mutable_metadata()->set_uid("uid-123");
    pod_.set_log_directory("/var/log/pods/x");
    pod_.set_hostname("web-0");
    config_.mutable_metadata()->set_name("app");
    config_.add_command("/bin/app");

    input_.container_id = kContainerId;
    input_.sandbox_id = kSandboxId;
    input_.container_name = "k8s_app_web-0_prod_uid-123_0";
    input_.config = &config_;
    input_.sandbox_config = &pod_;
    input_.image_name = "docker.io/library/app:1";
    input_.rootfs = (dir_.path() / "rootfs").string();
    input_.cgroups_path = "/kubepods/poduid-123/" + kContainerId;
    input_.hostname = "web-0";
    input_.available_capabilities = {"CAP_CHOWN",     "CAP_DAC_OVERRIDE",     "CAP_FSETID",
                                     "CAP_FOWNER",    "CAP_SETGID",           "CAP_SETUID",
                                     "CAP_SETPCAP",   "CAP_NET_BIND_SERVICE", "CAP_KILL",
                                     "CAP_SYS_ADMIN", "CAP_NET_ADMIN"};
  }

  json Build() {
    absl::StatusOr<json> spec = BuildContainerSpec(input_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? *spec : json();
  }

  absl::Status BuildError() {
    absl::StatusOr<json> spec = BuildContainerSpec(input_);
    EXPECT_FALSE(spec.ok());
    return spec.status();
  }

  static std::vector<json> Namespaces(const json& spec) { return spec["linux"]["namespaces"]; }

  testing::TempDir dir_;
  v1::PodSandboxConfig pod_;
  v1::ContainerConfig config_;
  ContainerSpecInput input_;
};

TEST_F(SpecBuilder, BasicShape) {
  config_.set_tty(true);
  config_.set_working_dir("/work");
  v1::KeyValue* env = config_.add_envs();
  env->set_key("MODE");
  env->set_value("prod");
  json spec = Build();
  EXPECT_EQ(spec["ociVersion"], "1.0.2-dev");
  EXPECT_EQ(spec["root"], json({{"path", input_.rootfs}, {"readonly", false}}));
  EXPECT_EQ(spec["hostname"], "web-0");
  const json& process = spec["process"];
  EXPECT_EQ(process["terminal"], true);
  EXPECT_EQ(process["args"], json({"/bin/app"}));
  EXPECT_EQ(process["cwd"], "/work");
  EXPECT_THAT(process["env"].get<std::vector<std::string>>(),
              ElementsAre(::testing::StartsWith("PATH="), "HOSTNAME=web-0", "TERM=xterm",
                          "MODE=prod", "HOME=/root"));
  EXPECT_EQ(process["user"], json({{"uid", 0}, {"gid", 0}, {"additionalGids", {0}}}));
  EXPECT_EQ(process["noNewPrivileges"], false);
  EXPECT_EQ(process["oomScoreAdj"], 0);
  EXPECT_EQ(process["capabilities"]["inheritable"], json::array());
  EXPECT_EQ(process["capabilities"]["ambient"], json::array());
  EXPECT_EQ(process["capabilities"]["bounding"], process["capabilities"]["effective"]);
  EXPECT_EQ(process["capabilities"]["bounding"].size(), 9u);
  EXPECT_FALSE(process.contains("rlimits"));
  EXPECT_EQ(spec["linux"]["cgroupsPath"], input_.cgroups_path);
  EXPECT_EQ(spec["linux"]["resources"]["devices"], json({{{"allow", false}, {"access", "rwm"}}}));
  EXPECT_EQ(spec["linux"]["devices"], json::array());
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
}

TEST_F(SpecBuilder, SecurityContextBasics) {
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->set_readonly_rootfs(true);
  sc->set_no_new_privs(true);
  sc->set_run_as_username("app");
  sc->add_supplemental_groups(900);
  json spec = Build();
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
  EXPECT_EQ(spec["process"]["user"],
            json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {50, 900, 1000}}}));
  EXPECT_THAT(spec["process"]["env"].get<std::vector<std::string>>(), Contains("HOME=/home/app"));

  sc->set_run_as_username("ghost");
  EXPECT_THAT(std::string(BuildError().message()),
              HasSubstr("config.linux.security_context.run_as_username: user \"ghost\""));
}

TEST_F(SpecBuilder, NamespacesNewByDefault) {
  json spec = Build();
  EXPECT_THAT(Namespaces(spec), ElementsAre(json({{"type", "pid"}}), json({{"type", "network"}}),
                                            json({{"type", "ipc"}}), json({{"type", "uts"}}),
                                            json({{"type", "mount"}})));
}

TEST_F(SpecBuilder, NamespacesJoinPaths) {
  input_.namespaces.network = "/run/cloison/netns/abc";
  input_.namespaces.ipc = "/proc/42/ns/ipc";
  input_.namespaces.uts = "/proc/42/ns/uts";
  input_.namespaces.pid = "/proc/42/ns/pid";
  input_.cgroup_namespace = true;
  json spec = Build();
  EXPECT_THAT(Namespaces(spec),
              ElementsAre(json({{"type", "pid"}, {"path", "/proc/42/ns/pid"}}),
                          json({{"type", "network"}, {"path", "/run/cloison/netns/abc"}}),
                          json({{"type", "ipc"}, {"path", "/proc/42/ns/ipc"}}),
                          json({{"type", "uts"}, {"path", "/proc/42/ns/uts"}}),
                          json({{"type", "mount"}}), json({{"type", "cgroup"}})));
  EXPECT_EQ(spec["hostname"], "web-0");
}

TEST_F(SpecBuilder, NamespacesHostModes) {
  input_.namespaces.host_network = true;
  input_.namespaces.host_ipc = true;
  input_.namespaces.host_pid = true;
  json spec = Build();
  EXPECT_THAT(Namespaces(spec), ElementsAre(json({{"type", "mount"}})));
  EXPECT_FALSE(spec.contains("hostname"));  // host UTS
  EXPECT_THAT(spec["process"]["env"].get<std::vector<std::string>>(), Contains("HOSTNAME=web-0"));
}

TEST_F(SpecBuilder, PodUserNamespaceIsJoinedWithItsMappings) {
  v1::UserNamespace* userns =
      config_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->mutable_userns_options();
  userns->set_mode(v1::POD);
  v1::IDMapping* uid = userns->add_uids();
  uid->set_host_id(100000);
  uid->set_length(65536);
  *userns->add_gids() = *uid;
  // The container asks for the pod's user namespace, but the pod has none.
  absl::Status status = BuildError();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("config.linux.security_context.namespace_options.userns_options.mode: POD"));

  input_.namespaces.user = "/run/pod/ns/user";
  input_.user_namespace = UserNamespaceMappings{{{0, 100000, 65536}}, {{0, 100000, 65536}}};
  json spec = Build();
  EXPECT_THAT(Namespaces(spec), Contains(json({{"type", "user"}, {"path", "/run/pod/ns/user"}})));
  const json mapping = json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
  EXPECT_EQ(spec["linux"]["uidMappings"], mapping);
  EXPECT_EQ(spec["linux"]["gidMappings"], mapping);

  uid->set_host_id(200000);  // not the pod's
  status = BuildError();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("differ from the pod sandbox's"));

  userns->set_mode(v1::NODE);  // a container without options still joins the pod's
  spec = Build();
  EXPECT_THAT(Namespaces(spec), Contains(json({{"type", "user"}, {"path", "/run/pod/ns/user"}})));
}

TEST_F(SpecBuilder, HostNetworkUserNamespaceBindsSys) {
  input_.namespaces.host_network = true;
  input_.namespaces.user = "/run/pod/ns/user";
  input_.user_namespace = UserNamespaceMappings{{{0, 100000, 65536}}, {{0, 100000, 65536}}};
  json spec = Build();
  bool found = false;
  for (const json& mount : spec["mounts"]) {
    if (mount["destination"] != "/sys") continue;
    found = true;
    EXPECT_EQ(mount["type"], "bind");
    EXPECT_EQ(mount["source"], "/sys");
  }
  EXPECT_TRUE(found);

  input_.user_namespace.reset();
  input_.namespaces.user.clear();
  spec = Build();
  for (const json& mount : spec["mounts"]) {
    if (mount["destination"] == "/sys") {
      EXPECT_EQ(mount["type"], "sysfs");
    }
  }
}

TEST_F(SpecBuilder, EmptyMaskedAndReadonlyListsGetTheDefaults) {
  json spec = Build();
  EXPECT_THAT(spec["linux"]["maskedPaths"].get<std::vector<std::string>>(), Contains("/proc/kcore"));
  EXPECT_THAT(spec["linux"]["readonlyPaths"].get<std::vector<std::string>>(), Contains("/proc/sys"));
}

TEST_F(SpecBuilder, SandboxContainerGetsDefaultMaskedAndReadonlyPaths) {
  input_.sandbox_container = true;
  input_.config = nullptr;
  json spec = Build();
  EXPECT_EQ(spec["linux"]["maskedPaths"],
            json({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                  "/proc/scsi", "/sys/devices/virtual/powercap"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"],
            json({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
}

TEST_F(SpecBuilder, NonRootUserHasNoEffectiveOrPermittedCapabilities) {
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1000);
  sc->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
  json caps = Build()["process"]["capabilities"];
  EXPECT_EQ(caps["bounding"].size(), 10u);
  EXPECT_THAT(caps["bounding"].get<std::vector<std::string>>(), Contains("CAP_NET_ADMIN"));
  EXPECT_EQ(caps["effective"], json::array());
  EXPECT_EQ(caps["permitted"], json::array());
  EXPECT_EQ(caps["inheritable"], json::array());
  EXPECT_EQ(caps["ambient"], json::array());
}

TEST_F(SpecBuilder, NonRootUserKeepsAmbientCapabilities) {
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("app");
  sc->mutable_capabilities()->add_add_ambient_capabilities("NET_BIND_SERVICE");
  json caps = Build()["process"]["capabilities"];
  const json ambient = json({"CAP_NET_BIND_SERVICE"});
  EXPECT_EQ(caps["effective"], ambient);
  EXPECT_EQ(caps["permitted"], ambient);
  EXPECT_EQ(caps["inheritable"], ambient);
  EXPECT_EQ(caps["ambient"], ambient);
}

TEST_F(SpecBuilder, MaskedAndReadonlyPathsFromCri) {
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->add_masked_paths("/proc/secret");
  sc->add_readonly_paths("/proc/ro");
  json spec = Build();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json({"/proc/secret"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json({"/proc/ro"}));
}

TEST_F(SpecBuilder, PrivilegedContainer) {
  pod_.mutable_linux()->mutable_security_context()->set_privileged(true);
  config_.mutable_linux()->mutable_security_context()->set_privileged(true);
  config_.mutable_linux()->mutable_security_context()->add_masked_paths("/proc/x");
  input_.cgroup_namespace = true;
  json spec = Build();
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_FALSE(spec["linux"].contains("readonlyPaths"));
  EXPECT_EQ(spec["process"]["capabilities"]["bounding"].size(),
            input_.available_capabilities.size());
  EXPECT_THAT(Namespaces(spec), Not(Contains(json({{"type", "cgroup"}}))));
  bool has_null = false;
  for (const json& d : spec["linux"]["devices"]) has_null |= d["path"] == "/dev/null";
  EXPECT_TRUE(has_null);
  EXPECT_EQ(spec["linux"]["resources"]["devices"].back(),
            json({{"allow", true}, {"access", "rwm"}}));
  for (const json& m : spec["mounts"]) {
    if (m["destination"] == "/sys" || m["destination"] == "/sys/fs/cgroup") {
      EXPECT_EQ(m["options"].back(), "rw");
    }
  }

  input_.privileged_without_host_devices = true;
  json without = Build();
  EXPECT_EQ(without["linux"]["devices"], json::array());
  EXPECT_EQ(without["linux"]["resources"]["devices"],
            json({{{"allow", false}, {"access", "rwm"}}}));
}

TEST_F(SpecBuilder, PrivilegedNeedsAPrivilegedSandbox) {
  config_.mutable_linux()->mutable_security_context()->set_privileged(true);
  absl::Status status = BuildError();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("config.linux.security_context.privileged"));
}

TEST_F(SpecBuilder, CriDevices) {
  v1::Device* device = config_.add_devices();
  device->set_host_path("/dev/null");
  device->set_container_path("/dev/mynull");
  device->set_permissions("rw");
  json spec = Build();
  ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
  const json& d = spec["linux"]["devices"][0];
  EXPECT_EQ(d["path"], "/dev/mynull");
  EXPECT_EQ(d["type"], "c");
  EXPECT_EQ(d["major"], 1);
  EXPECT_EQ(d["minor"], 3);
  EXPECT_EQ(spec["linux"]["resources"]["devices"][1],
            json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));

  device->set_permissions("rwx");
  EXPECT_THAT(std::string(BuildError().message()), HasSubstr("config.devices[0].permissions"));
  device->set_permissions("");
  device->set_host_path("/dev/does-not-exist");
  EXPECT_EQ(BuildError().code(), absl::StatusCode::kNotFound);
}

TEST_F(SpecBuilder, OomScoreAdjIsClampedToTheDaemons) {
  config_.mutable_linux()->mutable_resources()->set_oom_score_adj(-1000);
  input_.min_oom_score_adj = -999;
  EXPECT_EQ(Build()["process"]["oomScoreAdj"], -999);
  config_.mutable_linux()->mutable_resources()->set_oom_score_adj(500);
  EXPECT_EQ(Build()["process"]["oomScoreAdj"], 500);
  config_.mutable_linux()->mutable_resources()->set_oom_score_adj(1001);
  EXPECT_THAT(std::string(BuildError().message()),
              HasSubstr("config.linux.resources.oom_score_adj"));
}

TEST_F(SpecBuilder, Resources) {
  auto* r = config_.mutable_linux()->mutable_resources();
  r->set_cpu_shares(512);
  r->set_cpu_quota(50000);
  r->set_cpu_period(100000);
  r->set_cpuset_cpus("0-1");
  r->set_cpuset_mems("0");
  r->set_memory_limit_in_bytes(256 << 20);
  r->set_memory_swap_limit_in_bytes(512 << 20);
  v1::HugepageLimit* hp = r->add_hugepage_limits();
  hp->set_page_size("2MB");
  hp->set_limit(4 << 20);
  (*r->mutable_unified())["memory.high"] = "200000000";
  json resources = Build()["linux"]["resources"];
  EXPECT_EQ(
      resources["cpu"],
      json(
          {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0-1"}, {"mems", "0"}}));
  EXPECT_EQ(resources["memory"], json({{"limit", 256 << 20}, {"swap", 512 << 20}}));
  EXPECT_EQ(resources["hugepageLimits"], json({{{"pageSize", "2MB"}, {"limit", 4 << 20}}}));
  EXPECT_EQ(resources["unified"], json({{"memory.high", "200000000"}}));
}

TEST_F(SpecBuilder, UnsetResourcesAreLeftOut) {
  config_.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(1 << 30);
  json resources = Build()["linux"]["resources"];
  EXPECT_FALSE(resources.contains("cpu"));
  EXPECT_EQ(resources["memory"], json({{"limit", 1 << 30}}));
  EXPECT_FALSE(resources.contains("hugepageLimits"));
  EXPECT_FALSE(resources.contains("unified"));
}

TEST_F(SpecBuilder, Annotations) {
  (*config_.mutable_annotations())["io.katacontainers.config.hypervisor.x"] = "1";
  (*config_.mutable_annotations())["exact.key"] = "2";
  (*config_.mutable_annotations())["not.allowed"] = "3";
  (*config_.mutable_annotations())["io.kubernetes.cri.sandbox-id"] = "forged";
  (*config_.mutable_labels())["label"] = "v";
  (*pod_.mutable_annotations())["io.katacontainers.pod"] = "p";
  input_.allowed_annotations = {"io.katacontainers.*", "exact.key", "io.kubernetes.cri.*"};
  input_.image.stop_signal = "SIGQUIT";
  const std::string image_id = "sha256:" + std::string(64, 'e');
  config_.mutable_image()->set_image(image_id);  // kubelet names the image by its id
  json annotations = Build()["annotations"];
  EXPECT_EQ(annotations["io.katacontainers.config.hypervisor.x"], "1");
  EXPECT_EQ(annotations["io.katacontainers.pod"], "p");
  EXPECT_EQ(annotations["exact.key"], "2");
  EXPECT_FALSE(annotations.contains("not.allowed"));
  EXPECT_FALSE(annotations.contains("label"));
  EXPECT_EQ(annotations["io.kubernetes.cri.container-type"], "container");
  EXPECT_EQ(annotations["io.kubernetes.cri.sandbox-id"], kSandboxId);
  EXPECT_EQ(annotations["io.kubernetes.cri.container-name"], "app");
  EXPECT_EQ(annotations["io.kubernetes.cri.sandbox-name"], "web-0");
  EXPECT_EQ(annotations["io.kubernetes.cri.sandbox-namespace"], "prod");
  EXPECT_EQ(annotations["io.kubernetes.cri.sandbox-uid"], "uid-123");
  EXPECT_EQ(annotations["io.kubernetes.cri.image-name"], "docker.io/library/app:1");
  EXPECT_EQ(annotations["io.kubernetes.cri-o.ContainerType"], "container");
  EXPECT_EQ(annotations["io.kubernetes.cri-o.ContainerID"], kContainerId);
  EXPECT_EQ(annotations["io.kubernetes.cri-o.SandboxID"], kSandboxId);
  EXPECT_EQ(annotations["io.kubernetes.cri-o.ContainerName"], input_.container_name);
  EXPECT_EQ(annotations["io.kubernetes.cri-o.Image"], image_id);
  EXPECT_EQ(annotations["io.kubernetes.cri-o.ImageName"], "docker.io/library/app:1");
  EXPECT_EQ(annotations["io.kubernetes.container.name"], "app");
  EXPECT_EQ(annotations["io.kubernetes.pod.namespace"], "prod");
  EXPECT_EQ(annotations["org.opencontainers.image.stopSignal"], "SIGQUIT");
}

TEST_F(SpecBuilder, NoAnnotationsPassWithoutAnAllowList) {
  (*config_.mutable_annotations())["a"] = "1";
  EXPECT_FALSE(Build()["annotations"].contains("a"));
}

TEST_F(SpecBuilder, SandboxContainer) {
  input_.sandbox_container = true;
  input_.config = nullptr;
  input_.container_id = kSandboxId;
  input_.container_name = "k8s_POD_web-0_prod_uid-123_0";
  input_.image_name = "registry.k8s.io/pause:3.9";
  input_.image.entrypoint = {"/pause"};
  input_.image.user = "65535:65535";
  input_.shm_path = dir_.path().string();
  input_.resolv_conf_path = dir_.Write("resolv.conf", "");
  input_.min_oom_score_adj = -999;
  (*pod_.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "0";
  json spec = Build();
  EXPECT_EQ(spec["process"]["args"], json({"/pause"}));
  EXPECT_EQ(spec["process"]["terminal"], false);
  EXPECT_EQ(spec["process"]["user"],
            json({{"uid", 65535}, {"gid", 65535}, {"additionalGids", {65535}}}));
  EXPECT_EQ(spec["process"]["capabilities"]["bounding"], json::array());
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
  EXPECT_EQ(spec["process"]["oomScoreAdj"], -998);
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["hostname"], "web-0");
  EXPECT_EQ(spec["linux"]["resources"]["cpu"], json({{"shares", 2}}));
  EXPECT_EQ(spec["linux"]["sysctl"], json({{"net.ipv4.ip_unprivileged_port_start", "0"}}));
  EXPECT_TRUE(spec["linux"].contains("maskedPaths"));
  for (const json& m : spec["mounts"]) {
    if (m["destination"] == "/dev/shm" || m["destination"] == "/etc/resolv.conf") {
      EXPECT_EQ(m["options"].back(), "ro") << m;
    }
  }
  const json& a = spec["annotations"];
  EXPECT_EQ(a["io.kubernetes.cri.container-type"], "sandbox");
  EXPECT_EQ(a["io.kubernetes.cri-o.ContainerType"], "sandbox");
  EXPECT_EQ(a["io.kubernetes.cri.sandbox-id"], kSandboxId);
  EXPECT_EQ(a["io.kubernetes.cri.sandbox-log-directory"], "/var/log/pods/x");
  EXPECT_EQ(a["io.kubernetes.cri.podsandbox.image-name"], "registry.k8s.io/pause:3.9");
  EXPECT_FALSE(a.contains("io.kubernetes.cri.container-name"));
}

TEST_F(SpecBuilder, SandboxRunAsUserAndDefaultArgs) {
  input_.sandbox_container = true;
  input_.config = nullptr;
  pod_.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1000);
  json spec = Build();
  EXPECT_EQ(spec["process"]["args"], json({"/pause"}));
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
  EXPECT_EQ(spec["process"]["user"]["gid"], 1000);
}

TEST_F(SpecBuilder, MissingInputs) {
  input_.config = nullptr;
  EXPECT_THAT(std::string(BuildError().message()), HasSubstr("config"));
  input_.config = &config_;
  input_.sandbox_config = nullptr;
  EXPECT_THAT(std::string(BuildError().message()), HasSubstr("sandbox_config"));
  input_.sandbox_config = &pod_;
  input_.rootfs = "relative";
  EXPECT_THAT(std::string(BuildError().message()), HasSubstr("rootfs"));
}

TEST_F(SpecBuilder, SpecWithBinaryEnvDumpsAsJson) {
  v1::KeyValue* env = config_.add_envs();
  env->set_key("BIN");
  env->set_value("\xff\xfe");
  const std::string text = Build().dump();  // strict UTF-8 dump must not throw
  EXPECT_THAT(text, HasSubstr("BIN=\xEF\xBF\xBD\xEF\xBF\xBD"));
}

TEST_F(SpecBuilder, SeccompFromTheSecurityContext) {
  EXPECT_FALSE(Build()["linux"].contains("seccomp"));  // unset: unconfined
  config_.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      v1::SecurityProfile::RuntimeDefault);
  json spec = Build();
  EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  pod_.mutable_linux()->mutable_security_context()->set_privileged(true);
  config_.mutable_linux()->mutable_security_context()->set_privileged(true);
  EXPECT_FALSE(Build()["linux"].contains("seccomp"));
}

TEST_F(SpecBuilder, SandboxSeccompFromThePod) {
  input_.sandbox_container = true;
  input_.config = nullptr;
  pod_.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      v1::SecurityProfile::RuntimeDefault);
  json spec = Build();
  EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  pod_.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      v1::SecurityProfile::Localhost);
  pod_.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_localhost_ref("/etc/passwd");
  input_.seccomp_profile_root = (dir_.path() / "seccomp").string();
  EXPECT_THAT(std::string(BuildError().message()),
              HasSubstr("sandbox_config.linux.security_context.seccomp.localhost_ref"));
}

TEST_F(SpecBuilder, AppArmorLocalhostWithoutAppArmorFails) {
  v1::SecurityProfile* apparmor = config_.mutable_linux()->mutable_security_context()->mutable_apparmor();
  apparmor->set_profile_type(v1::SecurityProfile::Localhost);
  apparmor->set_localhost_ref("k8s-app");
  input_.host_lsms.apparmor = false;
  absl::Status status = BuildError();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  input_.host_lsms.apparmor = true;
  EXPECT_EQ(Build()["process"]["apparmorProfile"], "k8s-app");
}

}  // namespace
}  // namespace cloison::oci
