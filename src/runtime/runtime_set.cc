#include "cloison/runtime/runtime_set.h"

#include "absl/strings/str_cat.h"
#include "cloison/runtime/oci_runtime.h"
#include "cloison/runtime/vm_runtime.h"

namespace cloison::runtime {

void RuntimeSet::Reset(const HandlerTable& table, bool systemd_cgroup, const std::string& shim_dir) {
  std::map<std::string, ResolvedHandler> handlers;
  for (const HandlerInfo& info : table.handlers()) {
    ResolvedHandler resolved{info.config.name, info, nullptr};
    if (info.available() && info.config.runtime_type == config::RuntimeType::kOci) {
      resolved.runtime = std::make_shared<OciRuntime>(OciOptionsForHandler(info, systemd_cgroup));
    } else if (info.available() && info.config.runtime_type == config::RuntimeType::kVm) {
      resolved.runtime = std::make_shared<VmRuntime>(VmOptionsForHandler(info, shim_dir));
    }
    handlers.emplace(info.config.name, std::move(resolved));
  }
  absl::MutexLock lock(&mu_);
  handlers_ = std::move(handlers);
  default_name_ = table.default_name();
  untrusted_name_ = table.untrusted_name();
  names_ = table.Names();
}

std::string RuntimeSet::untrusted_name() const {
  absl::MutexLock lock(&mu_);
  return untrusted_name_;
}

absl::StatusOr<ResolvedHandler> RuntimeSet::Resolve(const std::string& handler) const {
  absl::MutexLock lock(&mu_);
  const std::string& name = handler.empty() ? default_name_ : handler;
  auto it = handlers_.find(name);
  if (it == handlers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("runtime handler \"", name, "\" is not configured (configured handlers: ", names_, ")"));
  }
  if (!it->second.info.available()) {
    return absl::FailedPreconditionError(
        absl::StrCat("runtime handler \"", name, "\" is unavailable: ", it->second.info.unavailable_reason,
                     " (configured handlers: ", names_, ")"));
  }
  return it->second;
}

}  // namespace cloison::runtime
