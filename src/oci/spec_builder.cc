#include "cloison/oci/spec_builder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/oci/annotations.h"
#include "cloison/oci/capabilities.h"
#include "cloison/oci/cdi_inject.h"
#include "cloison/oci/devices.h"
#include "cloison/oci/mounts.h"
#include "cloison/oci/process.h"
#include "cloison/oci/resources.h"
#include "cloison/oci/seccomp_profile.h"
#include "cloison/oci/user_lookup.h"

namespace cloison::oci {
namespace {

using nlohmann::json;
namespace v1 = runtime::v1;

// containerd's defaults for the sandbox container.
constexpr int64_t kSandboxOomScoreAdj = -998;
constexpr uint64_t kSandboxCpuShares = 2;

const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> kPaths = {"/proc/acpi",
                                                  "/proc/asound",
                                                  "/proc/kcore",
                                                  "/proc/keys",
                                                  "/proc/latency_stats",
                                                  "/proc/timer_list",
                                                  "/proc/timer_stats",
                                                  "/proc/sched_debug",
                                                  "/sys/firmware",
                                                  "/proc/scsi",
                                                  "/sys/devices/virtual/powercap"};
  return kPaths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> kPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                  "/proc/sysrq-trigger"};
  return kPaths;
}

// The image's Entrypoint (unless [""]) + Cmd, or "/pause".
std::vector<std::string> SandboxArgs(const ImageConfig& image) {
  std::vector<std::string> args;
  if (!(image.entrypoint.size() == 1 && image.entrypoint[0].empty())) args = image.entrypoint;
  args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  if (args.empty()) args.push_back("/pause");
  return args;
}

// Device rules: deny all, then the CRI devices and (privileged) the host's devices.
absl::StatusOr<DeviceRules> Devices(const ContainerSpecInput& in, const v1::ContainerConfig& config,
                                    bool privileged) {
  DeviceRules rules;
  rules.cgroup.push_back({{"allow", false}, {"access", "rwm"}});
  absl::StatusOr<DeviceRules> cri = CriDevices(config.devices());
  if (!cri.ok()) return cri.status();
  std::set<std::string> paths;
  for (const json& device : cri->devices) {
    paths.insert(device["path"].get<std::string>());
    rules.devices.push_back(device);
  }
  for (const json& rule : cri->cgroup) rules.cgroup.push_back(rule);
  if (privileged && !in.privileged_without_host_devices) {
    absl::StatusOr<DeviceRules> host = HostDevices("/dev");
    if (!host.ok()) return host.status();
    for (const json& device : host->devices) {
      if (!paths.contains(device["path"].get<std::string>())) rules.devices.push_back(device);
    }
    for (const json& rule : host->cgroup) rules.cgroup.push_back(rule);
  }
  return rules;
}

// The CRI's deprecated string forms, still sent by older kubelets.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::string DeprecatedSeccompPath(const v1::LinuxContainerSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
std::string DeprecatedSeccompPath(const v1::LinuxSandboxSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
std::string DeprecatedAppArmorProfile(const v1::LinuxContainerSecurityContext& sc) {
  return sc.apparmor_profile();
}
#pragma GCC diagnostic pop

// linux.seccomp (or nothing) and the AppArmor/SELinux checks, from the container's security
// context or, for the sandbox container, the pod's.
absl::StatusOr<std::optional<json>> Confinement(const ContainerSpecInput& in, bool privileged,
                                                const std::vector<std::string>& capabilities,
                                                json& process) {
  const v1::LinuxSandboxSecurityContext& pod_sc = in.sandbox_config->linux().security_context();
  SeccompInput seccomp;
  LsmInput lsm;
  if (in.sandbox_container) {
    seccomp.profile = pod_sc.has_seccomp() ? &pod_sc.seccomp() : nullptr;
    seccomp.deprecated_path = DeprecatedSeccompPath(pod_sc);
    seccomp.field = "sandbox_config.linux.security_context";
    lsm.apparmor = pod_sc.has_apparmor() ? &pod_sc.apparmor() : nullptr;
    lsm.selinux = pod_sc.has_selinux_options() ? &pod_sc.selinux_options() : nullptr;
  } else {
    const v1::LinuxContainerSecurityContext& sc = in.config->linux().security_context();
    seccomp.profile = sc.has_seccomp() ? &sc.seccomp() : nullptr;
    seccomp.deprecated_path = DeprecatedSeccompPath(sc);
    seccomp.field = "config.linux.security_context";
    lsm.apparmor = sc.has_apparmor() ? &sc.apparmor() : nullptr;
    lsm.deprecated_apparmor = DeprecatedAppArmorProfile(sc);
    lsm.selinux = sc.has_selinux_options() ? &sc.selinux_options() : nullptr;
  }
  seccomp.privileged = privileged;
  seccomp.capabilities = capabilities;
  seccomp.profile_root = in.seccomp_profile_root;
  lsm.privileged = privileged;
  lsm.host = in.host_lsms;
  lsm.field = seccomp.field;
  if (absl::Status s = ApplyLsmOptions(lsm, process); !s.ok()) return s;
  return SeccompForProcess(seccomp);
}

// The CDI devices the container asks for, applied to its finished spec.
absl::Status ApplyCdiDevices(const ContainerSpecInput& in, const v1::ContainerConfig& config, json& spec) {
  if (!in.cdi_enabled) {
    if (config.cdi_devices().empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("config.CDI_devices: \"", config.cdi_devices(0).name(),
                                                      "\" requested but CDI support is disabled ([cdi] enabled)"));
  }
  absl::StatusOr<std::vector<CdiRequest>> requests = CdiRequests(config);
  if (!requests.ok()) return requests.status();
  if (requests->empty()) return absl::OkStatus();
  return InjectCdiDevices(CdiRegistry::Load(in.cdi_spec_dirs), *requests, spec);
}

}  // namespace

absl::StatusOr<json> BuildContainerSpec(const ContainerSpecInput& in) {
  if (in.sandbox_config == nullptr) {
    return absl::InvalidArgumentError("sandbox_config: required");
  }
  if (in.config == nullptr && !in.sandbox_container) {
    return absl::InvalidArgumentError("config: required");
  }
  if (!absl::StartsWith(in.rootfs, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs: \"", in.rootfs, "\" is not an absolute path"));
  }
  const bool sandbox = in.sandbox_container;
  const v1::PodSandboxConfig& pod = *in.sandbox_config;
  const v1::LinuxSandboxSecurityContext& pod_sc = pod.linux().security_context();
  const v1::ContainerConfig& config =
      sandbox ? v1::ContainerConfig::default_instance() : *in.config;
  const v1::LinuxContainerSecurityContext& sc = config.linux().security_context();
  const bool privileged = !sandbox && sc.privileged();
  if (privileged && !pod_sc.privileged()) {
    return absl::InvalidArgumentError(
        "config.linux.security_context.privileged: the pod sandbox is not privileged");
  }

  // process
  absl::StatusOr<std::vector<std::string>> args =
      sandbox ? SandboxArgs(in.image) : ProcessArgs(config, in.image);
  if (!args.ok()) return args.status();
  absl::StatusOr<UserDatabase> db = ReadUserDatabase(in.rootfs);
  if (!db.ok()) return db.status();
  absl::StatusOr<ProcessUser> user =
      ResolveProcessUser(*db, sandbox ? UserRequestOf(pod_sc) : UserRequestOf(sc), in.image);
  if (!user.ok()) return user.status();
  absl::StatusOr<std::vector<std::string>> env =
      ProcessEnv(in.image, config.envs(), {in.hostname, config.tty()});
  if (!env.ok()) return env.status();
  if (!user->home.empty() && std::none_of(env->begin(), env->end(), [](const std::string& e) {
        return absl::StartsWith(e, "HOME=");
      })) {
    env->push_back(absl::StrCat("HOME=", user->home));
  }
  absl::StatusOr<std::string> cwd = ProcessCwd(config, in.image);
  if (!cwd.ok()) return cwd.status();
  CapabilitySets caps;
  if (!sandbox) {
    absl::StatusOr<CapabilitySets> computed =
        ComputeCapabilities(sc.has_capabilities() ? &sc.capabilities() : nullptr, privileged,
                            in.available_capabilities);
    if (!computed.ok()) return computed.status();
    caps = *std::move(computed);
  }
  // A non-root process starts with only its ambient capabilities, as execve would leave it
  // (Docker and CRI-O do the same); the others stay in the bounding set for file capabilities.
  const std::vector<std::string>& in_effect = user->uid == 0 ? caps.granted : caps.ambient;
  absl::StatusOr<int64_t> oom =
      OomScoreAdj(sandbox ? kSandboxOomScoreAdj : config.linux().resources().oom_score_adj(),
                  in.min_oom_score_adj, "config.linux.resources.oom_score_adj");
  if (!oom.ok()) return oom.status();

  json process = {
      {"terminal", config.tty()},
      {"args", *args},
      {"env", *env},
      {"cwd", *cwd},
      {"user", {{"uid", user->uid}, {"gid", user->gid}, {"additionalGids", user->additional_gids}}},
      {"capabilities",
       {{"bounding", caps.granted},
        {"effective", in_effect},
        {"permitted", in_effect},
        {"inheritable", caps.ambient},
        {"ambient", caps.ambient}}},
      {"noNewPrivileges", sandbox || sc.no_new_privs()},
      {"oomScoreAdj", *oom},
  };
  absl::StatusOr<std::optional<json>> seccomp = Confinement(in, privileged, caps.granted, process);
  if (!seccomp.ok()) return seccomp.status();

  // mounts
  MountsInput mounts_input;
  mounts_input.cri_mounts = sandbox ? nullptr : &config.mounts();
  mounts_input.resolv_conf_path = in.resolv_conf_path;
  mounts_input.hosts_path = in.hosts_path;
  mounts_input.hostname_path = in.hostname_path;
  mounts_input.shm_path = in.shm_path;
  mounts_input.readonly_rootfs = sandbox || sc.readonly_rootfs();
  mounts_input.privileged = privileged;
  mounts_input.sandbox_container = sandbox;
  mounts_input.sysfs_as_bind = in.user_namespace.has_value() && in.namespaces.host_network;
  absl::StatusOr<MountsResult> mounts = BuildMounts(mounts_input);
  if (!mounts.ok()) return mounts.status();

  // linux
  const v1::NamespaceOption* ns_options = nullptr;
  if (sandbox ? pod_sc.has_namespace_options() : sc.has_namespace_options()) {
    ns_options = sandbox ? &pod_sc.namespace_options() : &sc.namespace_options();
  }
  if (absl::Status s = CheckContainerUserNamespace(
          ns_options, in.user_namespace,
          sandbox ? "sandbox_config.linux.security_context" : "config.linux.security_context");
      !s.ok()) {
    return s;
  }
  const json namespaces = LinuxNamespaces(in.namespaces, in.cgroup_namespace && !privileged);
  absl::StatusOr<DeviceRules> devices = Devices(in, config, privileged);
  if (!devices.ok()) return devices.status();

  json resources = LinuxResources(config.linux().resources());
  if (sandbox) resources["cpu"]["shares"] = kSandboxCpuShares;
  resources["devices"] = devices->cgroup;

  json linux_section = {
      {"namespaces", namespaces},
      {"resources", resources},
      {"devices", devices->devices},
  };
  if (!in.cgroups_path.empty()) linux_section["cgroupsPath"] = in.cgroups_path;
  if (in.user_namespace.has_value()) {
    linux_section["uidMappings"] = IdMappingsJson(in.user_namespace->uids);
    linux_section["gidMappings"] = IdMappingsJson(in.user_namespace->gids);
  }
  if (seccomp->has_value()) linux_section["seccomp"] = **seccomp;
  if (!mounts->rootfs_propagation.empty()) {
    linux_section["rootfsPropagation"] = mounts->rootfs_propagation;
  }
  // An empty CRI list means the defaults (proto3 cannot tell it from an absent one); the
  // infra container always gets them, a privileged container none.
  if (sandbox || !privileged) {
    const bool own_masked = !sandbox && !sc.masked_paths().empty();
    const bool own_readonly = !sandbox && !sc.readonly_paths().empty();
    linux_section["maskedPaths"] =
        own_masked ? std::vector<std::string>(sc.masked_paths().begin(), sc.masked_paths().end())
                   : DefaultMaskedPaths();
    linux_section["readonlyPaths"] =
        own_readonly ? std::vector<std::string>(sc.readonly_paths().begin(), sc.readonly_paths().end())
                     : DefaultReadonlyPaths();
  }
  if (sandbox && !pod.linux().sysctls().empty()) {
    linux_section["sysctl"] = std::map<std::string, std::string>(pod.linux().sysctls().begin(),
                                                         pod.linux().sysctls().end());
  }

  AnnotationsInput annotations_input;
  annotations_input.container_id = in.container_id;
  annotations_input.sandbox_id = in.sandbox_id;
  annotations_input.container_name = in.container_name;
  annotations_input.image_name = in.image_name;
  annotations_input.stop_signal = in.image.stop_signal;
  annotations_input.sandbox_config = &pod;
  annotations_input.config = sandbox ? nullptr : &config;
  annotations_input.allowed = in.allowed_annotations;
  annotations_input.sandbox_container = sandbox;

  json spec = {
      {"ociVersion", "1.0.2-dev"},
      {"root", {{"path", in.rootfs}, {"readonly", sandbox || sc.readonly_rootfs()}}},
      {"process", std::move(process)},
      {"mounts", std::move(mounts->mounts)},
      {"linux", std::move(linux_section)},
      {"annotations", BuildAnnotations(annotations_input)},
  };
  if (!in.namespaces.host_network && !in.hostname.empty()) spec["hostname"] = in.hostname;
  if (!sandbox) {
    if (absl::Status s = ApplyCdiDevices(in, config, spec); !s.ok()) return s;
  }
  return spec;
}

}  // namespace cloison::oci
