// Pod networking through CNI. SetUpPod runs the default network's plugins (cni_config.h) in
// order with CNI ADD, chaining each result into the next plugin's prevResult, and returns the
// pod's IPs; TearDownPod runs CNI DEL in reverse order. What ADD was given (the configuration
// list, CNI_ARGS, runtimeConfig, netns) is cached in <cache_dir>/<pod id>.json before the
// first plugin runs and the final result is added after, so DEL after a restart, or after
// the node's configuration changed, releases exactly what ADD set up. The cache file is
// removed once DEL succeeded: TearDownPod is idempotent, and fine for pods never set up.
// CheckPod runs CNI CHECK with what the cache holds. The runtimeConfig offered to plugins that
// declare the capability holds portMappings and dns (plugin_input.h), bandwidth (pod_bandwidth.h)
// and ipRanges from the node's pod CIDR (pod_cidr.h), which SetPodCidr keeps in
// <cache_dir>/pod-cidr so that it outlives a restart (kubelet sends it only when it changes).
// Per pod, callers serialize SetUpPod, CheckPod and TearDownPod; different pods may run in
// parallel.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloison/cri/api.h"

namespace cloison::network {

struct NetworkManagerOptions {
  std::string config_dir;                // [network] cni_config_dir
  std::vector<std::string> plugin_dirs;  // [network] cni_plugin_dirs
  std::string cache_dir;                 // <root>/cni
  std::chrono::milliseconds plugin_timeout{std::chrono::seconds(60)};  // per plugin call
};

inline constexpr char kPodInterface[] = "eth0";

class NetworkManager {
 public:
  explicit NetworkManager(NetworkManagerOptions options);

  // CNI ADD in the pinned network namespace `netns`. With no network configuration in
  // config_dir the pod keeps only its loopback and gets no IP (logged; kubelet does not start
  // such pods while Status reports NetworkReady false). On failure the caller runs
  // TearDownPod, which releases what the plugins that succeeded set up.
  absl::StatusOr<std::vector<std::string>> SetUpPod(const std::string& pod_id, const std::string& netns,
                                                    const ::runtime::v1::PodSandboxConfig& config);

  // CNI DEL from the cache, every plugin even when one fails; the first failure is returned
  // and the cache kept for a retry. A plugin binary that is no longer installed is skipped
  // with a warning. A netns that is gone is passed as "" (plugins then release IPAM only).
  absl::Status TearDownPod(const std::string& pod_id);

  // CNI CHECK of every plugin in order, with the cached ADD result as prevResult, as the spec
  // asks. OK when the pod has no CNI network (never set up, torn down, or no config then);
  // UNIMPLEMENTED when the network's cniVersion predates CHECK (0.3.x) or it sets
  // disableCheck; FAILED_PRECONDITION when the pod's netns is gone; else the first failure.
  absl::Status CheckPod(const std::string& pod_id);

  // The node's pod CIDR(s) (UpdateRuntimeConfig), for ipRanges; "" forgets it.
  // INVALID_ARGUMENT naming pod_cidr when it is malformed.
  absl::Status SetPodCidr(const std::string& pod_cidr);
  std::string PodCidr() const;

 private:
  std::string CachePath(const std::string& pod_id) const;
  std::string PodCidrPath() const;

  NetworkManagerOptions options_;
  mutable absl::Mutex mu_;
  std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::network
