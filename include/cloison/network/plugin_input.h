// What each plugin of a chain reads on stdin, and the pod parameters it is offered:
//  - PodRuntimeConfig: the CNI "runtimeConfig" capabilities a pod can fill from its CRI
//    config: "portMappings" (port_mappings with a host_port: hostPort, containerPort, protocol
//    in lower case, hostIP when set) and "dns" (servers, searches, options) when the pod has a
//    DNS config. Keys with nothing to say are left out.
//  - PluginStdin: the plugin's object with the list's "name" and "cniVersion", "prevResult"
//    when given, and "runtimeConfig" holding only the capabilities the plugin declares true
//    in its "capabilities" (CNI conventions).
//  - PodCniArgs: CNI_ARGS with the Kubernetes pod identity, as kubelet's runtimes pass it.
#pragma once

#include <string>

#include "cloison/cri/api.h"
#include "cloison/network/cni_config.h"
#include "nlohmann/json.hpp"

namespace cloison::network {

nlohmann::json PodRuntimeConfig(const ::runtime::v1::PodSandboxConfig& config);

// `prev_result` null: no prevResult key.
nlohmann::json PluginStdin(const NetworkConfigList& list, const nlohmann::json& plugin,
                           const nlohmann::json& runtime_config, const nlohmann::json& prev_result);

// "IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;K8S_POD_INFRA_CONTAINER_ID=<pod id>;K8S_POD_UID=.."
std::string PodCniArgs(const std::string& pod_id, const ::runtime::v1::PodSandboxMetadata& metadata);

}  // namespace cloison::network
