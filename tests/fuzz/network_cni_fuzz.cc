// CNI inputs: the bytes as a network configuration file (/etc/cni/net.d) and as a plugin's
// result (its stdout). A configuration that parses must survive the on-disk cache round trip
// unchanged, and every plugin's stdin must serialize.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/network/cni_config.h"
#include "cloison/network/cni_result.h"
#include "cloison/network/plugin_input.h"
#include "cloison/network/pod_bandwidth.h"
#include "cloison/network/pod_cidr.h"
#include "nlohmann/json.hpp"

namespace {

using cloison::network::NetworkConfigList;

void CheckConfig(absl::string_view text) {
  absl::StatusOr<NetworkConfigList> list = cloison::network::ParseNetworkConfig(text, "fuzz.conflist");
  if (!list.ok()) return;
  const std::string cached = cloison::network::NetworkConfigListToJson(*list).dump();
  absl::StatusOr<NetworkConfigList> again = cloison::network::ParseNetworkConfig(cached, "cache");
  if (!again.ok() || again->name != list->name || again->cni_version != list->cni_version ||
      again->disable_check != list->disable_check || again->plugins != list->plugins) {
    std::abort();
  }
  const nlohmann::json runtime_config = {{"portMappings", nlohmann::json::array()}, {"bandwidth", {{"ingressRate", 1000}}}};
  for (const nlohmann::json& plugin : list->plugins) {
    (void)cloison::network::PluginStdin(*list, plugin, runtime_config, nlohmann::json::object()).dump();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  CheckConfig(text);
  (void)cloison::network::PodIpsFromResult(nlohmann::json::parse(text.begin(), text.end(), nullptr, false));
  const std::string line(text.substr(0, text.find('\n')));
  (void)cloison::network::ParsePodCidrs(line);
  (void)cloison::network::ParseQuantity(line);
  return 0;
}
