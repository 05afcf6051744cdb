#include "cloison/network/plugin_input.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cloison::network {

namespace v1 = ::runtime::v1;

nlohmann::json PodRuntimeConfig(const v1::PodSandboxConfig& config) {
  nlohmann::json runtime_config = nlohmann::json::object();
  nlohmann::json ports = nlohmann::json::array();
  for (const v1::PortMapping& mapping : config.port_mappings()) {
    if (mapping.host_port() <= 0) continue;  // kubelet lists every container port; only hostPorts map
    nlohmann::json port = {{"hostPort", mapping.host_port()},
                           {"containerPort", mapping.container_port()},
                           {"protocol", absl::AsciiStrToLower(v1::Protocol_Name(mapping.protocol()))}};
    if (!mapping.host_ip().empty()) port["hostIP"] = mapping.host_ip();
    ports.push_back(std::move(port));
  }
  if (!ports.empty()) runtime_config["portMappings"] = std::move(ports);
  const v1::DNSConfig& dns = config.dns_config();
  if (!dns.servers().empty() || !dns.searches().empty() || !dns.options().empty()) {
    using Words = std::vector<std::string>;
    runtime_config["dns"] = {{"servers", Words(dns.servers().begin(), dns.servers().end())},
                             {"searches", Words(dns.searches().begin(), dns.searches().end())},
                             {"options", Words(dns.options().begin(), dns.options().end())}};
  }
  return runtime_config;
}

nlohmann::json PluginStdin(const NetworkConfigList& list, const nlohmann::json& plugin,
                           const nlohmann::json& runtime_config, const nlohmann::json& prev_result) {
  nlohmann::json input = plugin;
  input["name"] = list.name;
  input["cniVersion"] = list.cni_version;
  if (!prev_result.is_null()) input["prevResult"] = prev_result;
  nlohmann::json offered = nlohmann::json::object();
  if (auto capabilities = plugin.find("capabilities"); capabilities != plugin.end() && capabilities->is_object()) {
    for (const auto& [name, enabled] : capabilities->items()) {
      if (enabled.is_boolean() && enabled.get<bool>() && runtime_config.contains(name)) {
        offered[name] = runtime_config.at(name);
      }
    }
  }
  input.erase("runtimeConfig");  // only the runtime fills it
  if (!offered.empty()) input["runtimeConfig"] = std::move(offered);
  return input;
}

std::string PodCniArgs(const std::string& pod_id, const v1::PodSandboxMetadata& metadata) {
  return absl::StrCat("IgnoreUnknown=1;K8S_POD_NAMESPACE=", metadata.namespace_(), ";K8S_POD_NAME=", metadata.name(),
                      ";K8S_POD_INFRA_CONTAINER_ID=", pod_id, ";K8S_POD_UID=", metadata.uid());
}

}  // namespace cloison::network
