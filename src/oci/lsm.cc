#include "cloison/oci/lsm.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/logging.h"

namespace cloison::oci {
namespace {

namespace v1 = ::runtime::v1;

bool HasLabel(const v1::SELinuxOption* option) {
  return option != nullptr && (!option->user().empty() || !option->role().empty() ||
                               !option->type().empty() || !option->level().empty());
}

// What the AppArmor request amounts to: "" (none), "runtime/default" or "localhost/<name>".
absl::StatusOr<std::string> AppArmorRequest(const LsmInput& in) {
  if (in.apparmor != nullptr) {
    switch (in.apparmor->profile_type()) {
      case v1::SecurityProfile::RuntimeDefault:
        return std::string("runtime/default");
      case v1::SecurityProfile::Unconfined:
        return std::string();
      case v1::SecurityProfile::Localhost:
        if (in.apparmor->localhost_ref().empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(in.field, ".apparmor.localhost_ref: required for a Localhost profile"));
        }
        return absl::StrCat("localhost/", in.apparmor->localhost_ref());
      default:
        return absl::InvalidArgumentError(absl::StrCat(in.field, ".apparmor.profile_type: unknown value ",
                                                       in.apparmor->profile_type()));
    }
  }
  const std::string& old = in.deprecated_apparmor;
  if (old.empty() || old == "unconfined") return std::string();
  if (old == "runtime/default" || (absl::StartsWith(old, "localhost/") && old.size() > 10)) return old;
  return absl::InvalidArgumentError(absl::StrCat(in.field, ".apparmor_profile: \"", old,
                                                 "\" is not runtime/default, unconfined or localhost/<name>"));
}

}  // namespace

HostLsms DetectHostLsms() {
  HostLsms host;
  absl::StatusOr<std::string> enabled = util::ReadFile("/sys/module/apparmor/parameters/enabled");
  host.apparmor = enabled.ok() && absl::StartsWith(*enabled, "Y");
  host.selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
  return host;
}

absl::Status ApplyLsmOptions(const LsmInput& in, nlohmann::json& process) {
  if (in.privileged) return absl::OkStatus();
  absl::StatusOr<std::string> apparmor = AppArmorRequest(in);
  if (!apparmor.ok()) return apparmor.status();
  if (absl::StartsWith(*apparmor, "localhost/")) {
    if (!in.host.apparmor) {
      return absl::FailedPreconditionError(absl::StrCat(
          in.field, ".apparmor: profile \"", absl::StripPrefix(*apparmor, "localhost/"),
          "\" requested but AppArmor is not enabled on this host"));
    }
    process["apparmorProfile"] = std::string(absl::StripPrefix(*apparmor, "localhost/"));
  } else if (*apparmor == "runtime/default") {
    spdlog::debug("{}.apparmor: RuntimeDefault: {}", in.field,
                  in.host.apparmor ? "cloison has no default AppArmor profile yet; none applied"
                                   : "AppArmor is not enabled on this host; ignored");
  }
  if (HasLabel(in.selinux)) {
    if (in.host.selinux) {
      return absl::UnimplementedError(
          absl::StrCat(in.field, ".selinux_options: SELinux labels are not supported by cloison yet"));
    }
    spdlog::info("{}.selinux_options: SELinux is not enabled on this host; the label is ignored", in.field);
  }
  return absl::OkStatus();
}

}  // namespace cloison::oci
