#include "cloison/server/status_report.h"

#include "absl/strings/str_cat.h"
#include "cloison/config/serialize.h"
#include "cloison/network/network_readiness.h"
#include "nlohmann/json.hpp"

namespace cloison::server {
namespace {

void FillRuntimeCondition(const runtime::HandlerTable& handlers,
                          ::runtime::v1::RuntimeCondition& condition) {
  condition.set_type(kRuntimeReady);
  const runtime::HandlerInfo* default_handler = handlers.Find(handlers.default_name());
  if (default_handler != nullptr && default_handler->available()) {
    condition.set_status(true);
    return;
  }
  condition.set_status(false);
  condition.set_reason("DefaultRuntimeHandlerUnavailable");
  condition.set_message(absl::StrCat(
      "default runtime handler \"", handlers.default_name(), "\" cannot run: ",
      default_handler ? default_handler->unavailable_reason : "not configured"));
}

void FillNetworkCondition(const config::Config& config, ::runtime::v1::RuntimeCondition& condition) {
  condition.set_type(kNetworkReady);
  const absl::Status network =
      network::CheckDefaultNetwork(config.network.cni_config_dir, config.network.cni_plugin_dirs);
  condition.set_status(network.ok());
  if (!network.ok()) {
    condition.set_reason("NetworkPluginNotReady");
    condition.set_message(absl::StrCat("Network plugin returns error: ", network.message(),
                                       absl::IsNotFound(network) ? "; has your network provider started?" : ""));
  }
}

void AddHandler(const std::string& name, const runtime::HandlerFeatures& features,
                ::runtime::v1::StatusResponse& out) {
  ::runtime::v1::RuntimeHandler* handler = out.add_runtime_handlers();
  handler->set_name(name);
  handler->mutable_features()->set_recursive_read_only_mounts(features.recursive_read_only_mounts);
  handler->mutable_features()->set_user_namespaces(features.user_namespaces);
}

nlohmann::json HandlerAvailability(const runtime::HandlerTable& handlers) {
  nlohmann::json out = nlohmann::json::object();
  for (const runtime::HandlerInfo& info : handlers.handlers()) {
    out[info.config.name] = {{"available", info.available()},
                             {"path", info.resolved_path},
                             {"reason", info.unavailable_reason}};
    if (!info.kvm_state.empty()) out[info.config.name]["kvm"] = info.kvm_state;
  }
  return out;
}

}  // namespace

void FillStatus(const ConfigSnapshot& snapshot, bool verbose, ::runtime::v1::StatusResponse& out) {
  FillRuntimeCondition(*snapshot.handlers, *out.mutable_status()->add_conditions());
  FillNetworkCondition(*snapshot.config, *out.mutable_status()->add_conditions());

  // Only handlers that can run here are offered to kubelet; like containerd, the default
  // handler is listed a second time under the empty name kubelet uses for it.
  for (const runtime::HandlerInfo& info : snapshot.handlers->handlers()) {
    if (!info.available()) continue;
    AddHandler(info.config.name, info.features, out);
    if (info.config.name == snapshot.handlers->default_name()) AddHandler("", info.features, out);
  }
  out.mutable_features()->set_supplemental_groups_policy(true);  // Strict is honoured (oci/process.h)
  // A host-network pod may have its own user namespace: /sys is then bound (oci/mounts.h).
  out.mutable_features()->set_user_namespaces_host_network(true);

  if (verbose) {
    (*out.mutable_info())["config"] = config::ToJson(*snapshot.config).dump();
    (*out.mutable_info())["runtimeHandlers"] = HandlerAvailability(*snapshot.handlers).dump();
  }
}

}  // namespace cloison::server
