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
#include "cloison/util/command.h"
#include "nlohmann/json.hpp"
#include "cloison/util/logging.h"

namespace cloison::runtime {
namespace {

constexpr std::chrono::seconds kFeaturesTimeout{10};

// mount_setattr(2), which recursive read-only mounts need, arrived in Linux 5.12.
bool KernelHasMountSetattr() {
  utsname name{};
  if (uname(&name) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(name.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 5 || (major == 5 && minor >= 12);
}

bool Contains(const nlohmann::json& list, absl::string_view item) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(),
                     [&](const nlohmann::json& v) { return v.is_string() && v.get_ref<const std::string&>() == item; });
}

HandlerFeatures ProbeOciFeatures(const HandlerInfo& info, bool kernel_has_mount_setattr) {
  std::vector<std::string> argv = {info.resolved_path};
  argv.insert(argv.end(), info.config.runtime_args.begin(), info.config.runtime_args.end());
  argv.push_back("features");
  absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, kFeaturesTimeout);
  if (!result.ok() || result->exit_code != 0) {
    spdlog::debug("runtime handler {}: `{} features` gave no feature list; assuming none",
                  info.config.name, info.resolved_path);
    return {};
  }
  return FeaturesFromOciJson(result->stdout_text, kernel_has_mount_setattr);
}

}  // namespace

std::string KvmState() {
  const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return absl::StrCat("/dev/kvm is not usable: ", std::strerror(errno));
  close(fd);
  return "/dev/kvm is usable";
}

HandlerFeatures FeaturesFromOciJson(absl::string_view features_json, bool kernel_has_mount_setattr) {
  const nlohmann::json doc = nlohmann::json::parse(std::string(features_json), nullptr, false);
  HandlerFeatures features;
  if (!doc.is_object()) return features;
  features.recursive_read_only_mounts =
      kernel_has_mount_setattr && Contains(doc.value("mountOptions", nlohmann::json()), "rro");
  const nlohmann::json linux_part = doc.value("linux", nlohmann::json::object());
  if (linux_part.is_object()) {
    const bool has_userns = Contains(linux_part.value("namespaces", nlohmann::json()), "user");
    bool idmap = false;
    if (auto ext = linux_part.find("mountExtensions"); ext != linux_part.end() && ext->is_object()) {
      if (auto id = ext->find("idmap"); id != ext->end() && id->is_object()) {
        idmap = id->value("enabled", false);
      }
    }
    features.user_namespaces = has_userns && idmap;
  }
  return features;
}

HandlerTable HandlerTable::Probe(const config::Config& config) {
  HandlerTable table;
  table.default_name_ = config.default_runtime;
  table.untrusted_name_ = config.untrusted_workload_runtime;
  const bool mount_setattr = KernelHasMountSetattr();
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
        info.features = ProbeOciFeatures(info, mount_setattr);
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
