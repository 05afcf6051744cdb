#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/network/plugin_input.h"

namespace cloison::network {
namespace {

namespace v1 = ::runtime::v1;

v1::PodSandboxConfig PodWithPorts() {
  v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name("web");
  config.mutable_metadata()->set_namespace_("prod");
  config.mutable_metadata()->set_uid("u-1");
  v1::PortMapping* mapped = config.add_port_mappings();
  mapped->set_protocol(v1::UDP);
  mapped->set_container_port(53);
  mapped->set_host_port(5353);
  mapped->set_host_ip("127.0.0.1");
  v1::PortMapping* unmapped = config.add_port_mappings();
  unmapped->set_container_port(80);  // no hostPort: not mapped
  v1::PortMapping* tcp = config.add_port_mappings();
  tcp->set_container_port(8080);
  tcp->set_host_port(18080);
  return config;
}

TEST(PodRuntimeConfig, PortMappingsWithHostPortsOnly) {
  const nlohmann::json runtime_config = PodRuntimeConfig(PodWithPorts());
  EXPECT_EQ(runtime_config["portMappings"], nlohmann::json::parse(R"([
    {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"},
    {"hostPort": 18080, "containerPort": 8080, "protocol": "tcp"}])"));
  EXPECT_FALSE(runtime_config.contains("dns"));
  EXPECT_EQ(PodRuntimeConfig(v1::PodSandboxConfig()), nlohmann::json::object());
}

TEST(PodRuntimeConfig, Dns) {
  v1::PodSandboxConfig config;
  config.mutable_dns_config()->add_servers("10.96.0.10");
  config.mutable_dns_config()->add_searches("svc.cluster.local");
  config.mutable_dns_config()->add_options("ndots:5");
  EXPECT_EQ(PodRuntimeConfig(config)["dns"], nlohmann::json::parse(R"(
    {"servers": ["10.96.0.10"], "searches": ["svc.cluster.local"], "options": ["ndots:5"]})"));
}

TEST(PluginStdin, OffersOnlyDeclaredCapabilitiesAndChainsPrevResult) {
  NetworkConfigList list{"net", "1.0.0", false, {}, "test"};
  const nlohmann::json runtime_config = PodRuntimeConfig(PodWithPorts());
  const nlohmann::json portmap = {{"type", "portmap"}, {"capabilities", {{"portMappings", true}, {"dns", false}}}};
  const nlohmann::json prev = {{"cniVersion", "1.0.0"}, {"ips", nlohmann::json::array()}};
  const nlohmann::json input = PluginStdin(list, portmap, runtime_config, prev);
  EXPECT_EQ(input["name"], "net");
  EXPECT_EQ(input["cniVersion"], "1.0.0");
  EXPECT_EQ(input["prevResult"], prev);
  EXPECT_EQ(input["runtimeConfig"], nlohmann::json({{"portMappings", runtime_config["portMappings"]}}));

  const nlohmann::json bridge = {{"type", "bridge"}, {"runtimeConfig", "written by hand"}};
  const nlohmann::json first = PluginStdin(list, bridge, runtime_config, nullptr);
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_FALSE(first.contains("runtimeConfig"));
  EXPECT_EQ(first["type"], "bridge");
}

TEST(PodCniArgs, KubernetesIdentity) {
  EXPECT_EQ(PodCniArgs("abc123", PodWithPorts().metadata()),
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=u-1");
}

}  // namespace
}  // namespace cloison::network
