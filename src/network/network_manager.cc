#include "cloison/network/network_manager.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cloison/network/cni_config.h"
#include "cloison/network/cni_plugin.h"
#include "cloison/network/cni_result.h"
#include "cloison/network/plugin_input.h"
#include "cloison/network/pod_bandwidth.h"
#include "cloison/network/pod_cidr.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"
#include "cloison/util/unix_socket.h"

namespace cloison::network {
namespace {

// True when `path` is still a pinned network namespace (an nsfs bind mount).
bool IsNamespace(const std::string& path) {
  struct statfs fs {};
  return !path.empty() && statfs(path.c_str(), &fs) == 0 && fs.f_type == static_cast<decltype(fs.f_type)>(NSFS_MAGIC);
}

// What SetUpPod cached for a pod: the JSON record and its configuration list.
struct CachedNetwork {
  nlohmann::json record;
  NetworkConfigList list;
};

// A string of a cache record. The record is cloisond's own, but a damaged one must still let
// DEL run: a field of another type counts as missing.
std::string CachedString(const nlohmann::json& record, const char* key, const std::string& fallback) {
  return util::StringField(record, key, "CNI cache record", fallback).value_or(fallback);
}

// NOT_FOUND when there is no record.
absl::StatusOr<CachedNetwork> ReadCache(const std::string& path) {
  absl::StatusOr<nlohmann::json> record = util::ReadJsonObjectFile(path);
  if (!record.ok()) return record.status();
  if (!record->contains("network")) return absl::DataLossError(absl::StrCat(path, ": not a CNI cache record"));
  absl::StatusOr<NetworkConfigList> list = ParseNetworkConfig(record->at("network").dump(), path);
  if (!list.ok()) return list.status();
  return CachedNetwork{*std::move(record), *std::move(list)};
}

}  // namespace

NetworkManager::NetworkManager(NetworkManagerOptions options) : options_(std::move(options)) {
  absl::StatusOr<std::string> saved = util::ReadFile(PodCidrPath());
  if (saved.ok()) {
    absl::MutexLock lock(&mu_);
    pod_cidr_ = std::string(absl::StripAsciiWhitespace(*saved));
  } else if (!absl::IsNotFound(saved.status())) {
    spdlog::warn("cannot read the saved pod CIDR: {}", saved.status().message());
  }
}

std::string NetworkManager::CachePath(const std::string& pod_id) const {
  return absl::StrCat(options_.cache_dir, "/", pod_id, ".json");
}

std::string NetworkManager::PodCidrPath() const { return absl::StrCat(options_.cache_dir, "/pod-cidr"); }

absl::Status NetworkManager::SetPodCidr(const std::string& pod_cidr) {
  absl::StatusOr<std::vector<std::string>> cidrs = ParsePodCidrs(pod_cidr);
  if (!cidrs.ok()) return absl::InvalidArgumentError(absl::StrCat("pod_cidr: ", cidrs.status().message()));
  absl::MutexLock lock(&mu_);
  if (pod_cidr == pod_cidr_) return absl::OkStatus();
  if (absl::Status s = util::MakeDirs(options_.cache_dir, 0700); !s.ok()) return s;
  if (absl::Status s = util::WriteFileAtomically(PodCidrPath(), pod_cidr, 0600); !s.ok()) return s;
  pod_cidr_ = pod_cidr;
  spdlog::info("pod CIDR is now \"{}\"", pod_cidr);
  return absl::OkStatus();
}

std::string NetworkManager::PodCidr() const {
  absl::MutexLock lock(&mu_);
  return pod_cidr_;
}

absl::StatusOr<std::vector<std::string>> NetworkManager::SetUpPod(const std::string& pod_id, const std::string& netns,
                                                                  const ::runtime::v1::PodSandboxConfig& config) {
  absl::StatusOr<NetworkConfigList> list = LoadDefaultNetwork(options_.config_dir);
  if (absl::IsNotFound(list.status())) {
    spdlog::warn("pod sandbox {}: {}; the pod gets no network but its loopback", pod_id, list.status().message());
    return std::vector<std::string>();
  }
  if (!list.ok()) return list.status();

  nlohmann::json runtime_config = PodRuntimeConfig(config);
  absl::StatusOr<nlohmann::json> bandwidth = PodBandwidth(config);
  if (!bandwidth.ok()) return bandwidth.status();
  if (!bandwidth->is_null()) runtime_config["bandwidth"] = *bandwidth;
  if (absl::StatusOr<std::vector<std::string>> cidrs = ParsePodCidrs(PodCidr()); cidrs.ok() && !cidrs->empty()) {
    runtime_config["ipRanges"] = IpRanges(*cidrs);
  }
  nlohmann::json cache = {{"network", NetworkConfigListToJson(*list)},
                          {"args", PodCniArgs(pod_id, config.metadata())},
                          {"runtimeConfig", std::move(runtime_config)},
                          {"netns", netns},
                          {"ifname", kPodInterface},
                          {"result", nullptr}};
  if (absl::Status s = util::MakeDirs(options_.cache_dir, 0700); !s.ok()) return s;
  // Written before the first plugin runs, so an ADD cut short is still undone by DEL.
  if (absl::Status s = util::WriteFileAtomically(CachePath(pod_id), cache.dump(), 0600); !s.ok()) return s;

  PluginCall call{"ADD", pod_id, netns, kPodInterface, cache["args"].get<std::string>(), options_.plugin_dirs,
                  options_.plugin_timeout};
  nlohmann::json result;
  for (const nlohmann::json& plugin : list->plugins) {
    absl::StatusOr<std::string> binary = FindPlugin(plugin["type"].get<std::string>(), options_.plugin_dirs);
    if (!binary.ok()) return binary.status();
    absl::StatusOr<nlohmann::json> output =
        InvokePlugin(*binary, PluginStdin(*list, plugin, cache["runtimeConfig"], result), call);
    if (!output.ok()) return output.status();
    if (!output->is_object()) return absl::InternalError(absl::StrCat("CNI plugin ", plugin["type"].get<std::string>(), " ADD: no result"));
    result = *std::move(output);
  }
  cache["result"] = result;
  if (absl::Status s = util::WriteFileAtomically(CachePath(pod_id), cache.dump(), 0600); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> ips = PodIpsFromResult(result);
  if (ips.ok()) spdlog::info("pod sandbox {}: network {} gave {} IP(s)", pod_id, list->name, ips->size());
  return ips;
}

absl::Status NetworkManager::TearDownPod(const std::string& pod_id) {
  absl::StatusOr<CachedNetwork> cached = ReadCache(CachePath(pod_id));
  if (absl::IsNotFound(cached.status())) return absl::OkStatus();  // never set up, or already torn down
  if (!cached.ok()) return cached.status();
  const nlohmann::json& cache = cached->record;
  const NetworkConfigList& list = cached->list;

  const std::string netns = CachedString(cache, "netns", "");
  PluginCall call{"DEL",           pod_id, IsNamespace(netns) ? netns : "", CachedString(cache, "ifname", kPodInterface),
                  CachedString(cache, "args", ""), options_.plugin_dirs, options_.plugin_timeout};
  // 0.4.0 and later hand DEL the result of ADD; older versions do not know prevResult on DEL.
  const nlohmann::json prev_result = AtLeast040(list.cni_version) ? cache.value("result", nlohmann::json()) : nlohmann::json();
  const nlohmann::json runtime_config = cache.value("runtimeConfig", nlohmann::json::object());
  absl::Status status;
  for (auto plugin = list.plugins.rbegin(); plugin != list.plugins.rend(); ++plugin) {
    absl::StatusOr<std::string> binary = FindPlugin((*plugin)["type"].get<std::string>(), options_.plugin_dirs);
    if (!binary.ok()) {
      spdlog::warn("pod sandbox {}: skipping CNI DEL: {}", pod_id, binary.status().message());
      continue;
    }
    status.Update(InvokePlugin(*binary, PluginStdin(list, *plugin, runtime_config, prev_result), call).status());
  }
  if (!status.ok()) return status;
  std::error_code ec;
  std::filesystem::remove(CachePath(pod_id), ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", CachePath(pod_id), ": ", ec.message()));
  spdlog::info("pod sandbox {}: network {} torn down", pod_id, list.name);
  return absl::OkStatus();
}

absl::Status NetworkManager::CheckPod(const std::string& pod_id) {
  absl::StatusOr<CachedNetwork> cached = ReadCache(CachePath(pod_id));
  if (absl::IsNotFound(cached.status())) return absl::OkStatus();  // no CNI network to check
  if (!cached.ok()) return cached.status();
  const NetworkConfigList& list = cached->list;
  if (!AtLeast040(list.cni_version)) {
    return absl::UnimplementedError(absl::StrCat("network ", list.name, " has cniVersion ", list.cni_version,
                                                 ", which has no CHECK (0.4.0 and later have)"));
  }
  if (list.disable_check) return absl::UnimplementedError(absl::StrCat("network ", list.name, " sets disableCheck"));
  const nlohmann::json& cache = cached->record;
  const nlohmann::json prev_result = cache.value("result", nlohmann::json());
  if (!prev_result.is_object()) {
    return absl::FailedPreconditionError(absl::StrCat("pod sandbox ", pod_id, ": its CNI ADD did not finish"));
  }
  const std::string netns = CachedString(cache, "netns", "");
  if (!IsNamespace(netns)) {
    return absl::FailedPreconditionError(absl::StrCat("pod sandbox ", pod_id, ": network namespace ", netns, " is gone"));
  }
  PluginCall call{"CHECK", pod_id, netns, CachedString(cache, "ifname", kPodInterface), CachedString(cache, "args", ""),
                  options_.plugin_dirs, options_.plugin_timeout};
  const nlohmann::json runtime_config = cache.value("runtimeConfig", nlohmann::json::object());
  for (const nlohmann::json& plugin : list.plugins) {
    absl::StatusOr<std::string> binary = FindPlugin(plugin["type"].get<std::string>(), options_.plugin_dirs);
    if (!binary.ok()) return binary.status();
    absl::StatusOr<nlohmann::json> output =
        InvokePlugin(*binary, PluginStdin(list, plugin, runtime_config, prev_result), call);
    if (!output.ok()) return output.status();
  }
  return absl::OkStatus();
}

}  // namespace cloison::network
