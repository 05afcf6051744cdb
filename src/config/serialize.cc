#include "cloison/config/serialize.h"

#include <sstream>
#include <toml.hpp>

#include "absl/strings/str_join.h"
#include "cloison/config/values.h"

namespace cloison::config {
namespace {

std::string Quote(const std::string& text) { return toml::format(toml::value(text)); }

std::string QuoteAll(const std::vector<std::string>& items) {
  return "[" +
         absl::StrJoin(items, ", ",
                       [](std::string* out, const std::string& item) { out->append(Quote(item)); }) +
         "]";
}

}  // namespace

std::string ToToml(const Config& config) {
  std::ostringstream out;
  out << "root = " << Quote(config.root) << "\n"
      << "state = " << Quote(config.state) << "\n"
      << "listen = " << Quote(config.listen) << "\n"
      << "log_level = " << Quote(config.log_level) << "\n"
      << "cgroup_driver = " << Quote(config.cgroup_driver) << "\n"
      << "shutdown_timeout = " << config.shutdown_timeout << "\n"
      << "default_runtime = " << Quote(config.default_runtime) << "\n"
      << "untrusted_workload_runtime = " << Quote(config.untrusted_workload_runtime) << "\n"
      << "seccomp_profile_root = " << Quote(config.seccomp_profile_root) << "\n"
      << "\n[network]\n"
      << "cni_config_dir = " << Quote(config.network.cni_config_dir) << "\n"
      << "cni_plugin_dirs = " << QuoteAll(config.network.cni_plugin_dirs) << "\n"
      << "plugin_timeout = " << config.network.plugin_timeout << "\n"
      << "\n[streaming]\n"
      << "address = " << Quote(config.streaming.address) << "\n"
      << "port = " << config.streaming.port << "\n"
      << "idle_timeout = " << config.streaming.idle_timeout << "\n"
      << "\n[image]\n"
      << "search_registries = " << QuoteAll(config.image.search_registries) << "\n"
      << "max_concurrent_downloads = " << config.image.max_concurrent_downloads << "\n"
      << "pinned_images = " << QuoteAll(config.image.pinned_images) << "\n"
      << "\n[cdi]\n"
      << "enabled = " << (config.cdi.enabled ? "true" : "false") << "\n"
      << "spec_dirs = " << QuoteAll(config.cdi.spec_dirs) << "\n";
  for (const auto& [host, registry] : config.image.registries) {
    out << "\n[registries." << Quote(host) << "]\n"
        << "mirrors = " << QuoteAll(registry.mirrors) << "\n"
        << "insecure = " << (registry.insecure ? "true" : "false") << "\n"
        << "ca_file = " << Quote(registry.ca_file) << "\n"
        << "timeout = " << registry.timeout << "\n";
  }
  for (const auto& [name, handler] : config.runtimes) {
    out << "\n[runtimes." << name << "]\n"
        << "runtime_path = " << Quote(handler.runtime_path) << "\n"
        << "runtime_type = " << Quote(RuntimeTypeName(handler.runtime_type)) << "\n"
        << "runtime_root = " << Quote(handler.runtime_root) << "\n"
        << "runtime_config_path = " << Quote(handler.runtime_config_path) << "\n"
        << "runtime_args = " << QuoteAll(handler.runtime_args) << "\n"
        << "monitor_path = " << Quote(handler.monitor_path) << "\n"
        << "privileged_without_host_devices = "
        << (handler.privileged_without_host_devices ? "true" : "false") << "\n"
        << "allowed_annotations = " << QuoteAll(handler.allowed_annotations) << "\n"
        << "sandbox_mode = " << Quote(SandboxModeName(handler.sandbox_mode)) << "\n"
        << "direct_exec_sync = " << (handler.direct_exec_sync ? "true" : "false") << "\n";
  }
  return out.str();
}

nlohmann::json ToJson(const Config& config) {
  nlohmann::json runtimes = nlohmann::json::object();
  for (const auto& [name, handler] : config.runtimes) {
    runtimes[name] = {
        {"runtime_path", handler.runtime_path},
        {"runtime_type", RuntimeTypeName(handler.runtime_type)},
        {"runtime_root", handler.runtime_root},
        {"runtime_config_path", handler.runtime_config_path},
        {"runtime_args", handler.runtime_args},
        {"monitor_path", handler.monitor_path},
        {"privileged_without_host_devices", handler.privileged_without_host_devices},
        {"allowed_annotations", handler.allowed_annotations},
        {"sandbox_mode", SandboxModeName(handler.sandbox_mode)},
        {"direct_exec_sync", handler.direct_exec_sync},
    };
  }
  nlohmann::json registries = nlohmann::json::object();
  for (const auto& [host, registry] : config.image.registries) {
    registries[host] = {{"mirrors", registry.mirrors},
                        {"insecure", registry.insecure},
                        {"ca_file", registry.ca_file},
                        {"timeout", registry.timeout}};
  }
  return {
      {"root", config.root},
      {"state", config.state},
      {"listen", config.listen},
      {"log_level", config.log_level},
      {"cgroup_driver", config.cgroup_driver},
      {"shutdown_timeout", config.shutdown_timeout},
      {"default_runtime", config.default_runtime},
      {"untrusted_workload_runtime", config.untrusted_workload_runtime},
      {"seccomp_profile_root", config.seccomp_profile_root},
      {"network",
       {{"cni_config_dir", config.network.cni_config_dir},
        {"cni_plugin_dirs", config.network.cni_plugin_dirs},
        {"plugin_timeout", config.network.plugin_timeout}}},
      {"streaming",
       {{"address", config.streaming.address},
        {"port", config.streaming.port},
        {"idle_timeout", config.streaming.idle_timeout}}},
      {"image",
       {{"search_registries", config.image.search_registries},
        {"max_concurrent_downloads", config.image.max_concurrent_downloads},
        {"pinned_images", config.image.pinned_images}}},
      {"cdi", {{"enabled", config.cdi.enabled}, {"spec_dirs", config.cdi.spec_dirs}}},
      {"registries", registries},
      {"runtimes", runtimes},
  };
}

}  // namespace cloison::config
