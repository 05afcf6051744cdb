#include "cloison/runtime/handler_table.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloison/runtime/runsc_quirks.h"
#include "cloison/util/command.h"
#include "nlohmann/json.hpp"
#include "cloison/util/logging.h"

namespace cloison::runtime {
namespace {

constexpr std::chrono::seconds kFeaturesTimeout{10};

bool KernelAtLeast(int want_major, int want_minor) {
  utsname name{};
  if (uname(&name) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(name.release, "%d.%d", &major, &minor) != 2) return false;
  return major > want_major || (major == want_major && minor >= want_minor);
}

bool Contains(const nlohmann::json& list, absl::string_view item) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(),
                     [&](const nlohmann::json& v) { return v.is_string() && v.get_ref<const std::string&>() == item; });
}

HandlerFeatures ProbeOciFeatures(const HandlerInfo& info, const KernelFeatures& kernel) {
  std::vector<std::string> argv = {info.resolved_path};
  argv.insert(argv.end(), info.config.runtime_args.begin(), info.config.runtime_args.end());
  argv.push_back("features");
  absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, kFeaturesTimeout);
  if (!result.ok() || result->exit_code != 0) {
    spdlog::debug("runtime handler {}: `{} features` gave no feature list; assuming none",
                  info.config.name, info.resolved_path);
    return {};
  }
  HandlerFeatures features = FeaturesFromOciJson(result->stdout_text, kernel);
  // gVisor's sandbox does not run the pod in the user namespace cloison pins on the host.
  if (IsRunsc(info)) features.user_namespaces = false;
  return features;
}

}  // namespace

std::string KvmState() {
  const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return absl::StrCat("/dev/kvm is not usable: ", std::strerror(errno));
  close(fd);
  return "/dev/kvm is usable";
}

HandlerFeatures FeaturesFromOciJson(absl::string_view features_json, const KernelFeatures& kernel) {
  const nlohmann::json doc = nlohmann::json::parse(std::string(features_json), nullptr, false);
  HandlerFeatures features;
  if (!doc.is_object()) return features;
  features.recursive_read_only_mounts =
      kernel.mount_setattr && Contains(doc.value("mountOptions", nlohmann::json()), "rro");
  const nlohmann::json linux_part = doc.value("linux", nlohmann::json::object());
  if (linux_part.is_object()) {
    // cloison pins the user namespace and ID-maps the rootfs itself: the runtime only has to
    // join a user namespace (runc 1.1's lack of mountExtensions.idmap does not matter).
    features.user_namespaces =
        kernel.idmapped_overlay_layers && Contains(linux_part.value("namespaces", nlohmann::json()), "user");
  }
  return features;
}

HandlerTable HandlerTable::Probe(const config::Config& config) {
  HandlerTable table;
  table.default_name_ = config.default_runtime;
  table.untrusted_name_ = config.untrusted_workload_runtime;
  // mount_setattr(2) arrived in Linux 5.12; overlayfs takes ID-mapped layers since 5.19.
  const KernelFeatures kernel{KernelAtLeast(5, 12), KernelAtLeast(5, 19)};
  for (const auto& [name, handler] : config.runtimes) {
    HandlerInfo info;
    info.config = handler;
    absl::StatusOr<std::string> path = util::FindExecutable(handler.runtime_path);
    if (!path.ok()) {
      info.unavailable_reason =
          absl::StrCat("runtime binary not found: ", path.status().message());
      spdlog::warn("runtime handler {} is unavailable: {}", name, info.unavailable_reason);
    } else {
      info.resolved_path = *path;
      if (handler.runtime_type == config::RuntimeType::kOci) {
        info.features = ProbeOciFeatures(info, kernel);
      } else {
        info.kvm_state = KvmState();
      }
      spdlog::info("runtime handler {} ({}) uses {}{}{}", name, config::RuntimeTypeName(handler.runtime_type),
                   info.resolved_path, info.kvm_state.empty() ? "" : "; ", info.kvm_state);
    }
    table.handlers_.push_back(std::move(info));
  }
  return table;
}

const HandlerInfo* HandlerTable::Find(absl::string_view name) const {
  for (const HandlerInfo& info : handlers_) {
    if (info.config.name == name) return &info;
  }
  return nullptr;
}

std::string HandlerTable::Names() const {
  return absl::StrJoin(handlers_, ", ", [](std::string* out, const HandlerInfo& info) {
    out->append(info.config.name);
  });
}

}  // namespace cloison::runtime
