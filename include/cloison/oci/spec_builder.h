// Builds a container's OCI runtime spec (config.json, runtime-spec 1.0.2 as runc 1.1 reads it)
// from the CRI request, the image config and what the daemon prepared for the pod (rootfs,
// namespaces, cgroup, sandbox files). The same builder makes the pod's sandbox (pause)
// container with sandbox_container = true.
//
// Choices where containerd and CRI-O differ or the CRI leaves room:
//  * capabilities: CRI-O's default set (see capabilities.h); ambient and inheritable empty
//    unless add_ambient_capabilities asks; no rlimits. A process whose uid is not 0 gets
//    effective = permitted = its ambient set (usually empty), as Docker and CRI-O do: what
//    execve leaves a non-root user; the bounding set still holds the granted capabilities.
//  * seccomp: see seccomp_profile.h (the sandbox container reads the pod's security context);
//    AppArmor and SELinux: see lsm.h.
//  * masked/readonly paths: the CRI lists as sent, as containerd does since 1.5: kubelet
//    always sends its default lists, and empty ones for procMount: Unmasked (proto3 cannot
//    tell "empty" from "unset", so a client that sends none gets none); privileged
//    containers get none; the sandbox container gets the defaults.
//  * privileged: every available capability, /sys and /sys/fs/cgroup read-write, no masked
//    paths, every host device under /dev with an allow-all device rule unless the handler
//    says privileged_without_host_devices; allowed only in a privileged pod sandbox.
//  * hostname is set whenever the UTS namespace is not the host's (CRI-O), HOSTNAME too.
//  * mounts and image volumes: see mounts.h.
//  * CDI devices (config.CDI_devices and cdi.k8s.io/* container annotations): when cdi_enabled,
//    their edits are applied last, over the finished spec (cdi_inject.h); when not, a
//    non-empty config.CDI_devices is FAILED_PRECONDITION (as containerd) and the annotations
//    are ignored.
//  * user namespace: the pod's (user_namespace.h), joined by path with its uidMappings and
//    gidMappings in the spec too (runc 1.1 wants them even when it joins); the container's
//    own userns_options must agree with the pod's.
//  * the sandbox container: the image's Entrypoint + Cmd (["/pause"] when the image has
//    neither), cwd from the image, its user from the pod security context (run_as_user /
//    run_as_group) or the image User, no capabilities, no_new_privileges, read-only rootfs,
//    read-only sandbox files, cpu shares 2 and oom_score_adj -998 (both as containerd), the
//    pod's sysctls, masked/readonly defaults. Containers join its namespaces and inherit them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"
#include "cloison/oci/image_config.h"
#include "cloison/oci/lsm.h"
#include "cloison/oci/namespaces.h"
#include "cloison/oci/user_namespace.h"

namespace cloison::oci {

struct ContainerSpecInput {
  std::string container_id, sandbox_id, container_name;  // ids are 64-hex
  const ::runtime::v1::ContainerConfig* config = nullptr;  // the CRI request's (null for sandbox)
  const ::runtime::v1::PodSandboxConfig* sandbox_config = nullptr;  // required
  ImageConfig image;                                              // parsed image config
  std::string image_name;  // the name shown for the image (container/shown_image.h)
  std::string rootfs;  // absolute path of the mounted rootfs
  NamespacePaths namespaces;
  // The pod's user namespace (pinned at namespaces.user), nullopt for the host's.
  std::optional<UserNamespaceMappings> user_namespace;
  bool cgroup_namespace = false;  // new cgroup ns (set on cgroup v2 hosts; never if privileged)
  std::string cgroups_path;       // "/kubepods/pod123/<id>" (cgroupfs) or "slice:prefix:name"
  std::string hostname;           // pod hostname (also HOSTNAME)
  std::string resolv_conf_path, hosts_path, hostname_path, shm_path;  // "" = skip / tmpfs shm
  std::vector<std::string> available_capabilities;  // caps the daemon holds (grantable set)
  int64_t min_oom_score_adj = -1000;                // clamp oom_score_adj to >= this
  bool privileged_without_host_devices = false;     // from the handler
  std::vector<std::string> allowed_annotations;     // handler's allow-list (exact or prefix*)
  bool sandbox_container = false;                   // true for the infra (pause) container
  std::string seccomp_profile_root;                 // Localhost seccomp profiles live under it
  HostLsms host_lsms;                               // AppArmor / SELinux on this host
  bool cdi_enabled = false;                         // [cdi] enabled
  std::vector<std::string> cdi_spec_dirs;           // [cdi] spec_dirs, later ones win
};

// The whole spec. Errors are INVALID_ARGUMENT / NOT_FOUND / UNIMPLEMENTED with messages that
// name the CRI field at fault; a rootfs whose /etc/passwd cannot be read fails as read.
absl::StatusOr<nlohmann::json> BuildContainerSpec(const ContainerSpecInput& input);

}  // namespace cloison::oci
