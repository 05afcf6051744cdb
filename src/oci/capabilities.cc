#include "cloison/oci/capabilities.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cloison::oci {
namespace {

constexpr char kField[] = "config.linux.security_context.capabilities.";

bool IsAll(const std::string& name) { return absl::AsciiStrToUpper(name) == "ALL"; }

bool WellFormed(const std::string& canonical) {
  if (canonical.size() <= 4) return false;
  for (char c : canonical) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> kDefaults = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_KILL"};
  return kDefaults;
}

std::string CanonicalCapability(const std::string& name) {
  std::string upper = absl::AsciiStrToUpper(name);
  return absl::StartsWith(upper, "CAP_") ? upper : absl::StrCat("CAP_", upper);
}

absl::StatusOr<CapabilitySets> ComputeCapabilities(const ::runtime::v1::Capability* caps,
                                                   bool privileged,
                                                   const std::vector<std::string>& available) {
  std::set<std::string> all;
  for (const std::string& name : available) all.insert(CanonicalCapability(name));

  std::set<std::string> granted;
  std::set<std::string> ambient;
  // The canonical form of entry i of a CRI list, checked.
  const auto grantable = [&](const std::string& name, absl::string_view list,
                             int i) -> absl::StatusOr<std::string> {
    const std::string canonical = CanonicalCapability(name);
    if (!WellFormed(canonical)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kField, list, "[", i, "]: \"", name, "\" is not a capability name"));
    }
    if (list != "drop_capabilities" && !all.contains(canonical)) {
      return absl::InvalidArgumentError(absl::StrCat(kField, list, "[", i, "]: ", canonical,
                                                     " is unknown or not held by the daemon"));
    }
    return canonical;
  };

  if (privileged) {
    granted = all;
  } else {
    for (const std::string& name : DefaultCapabilities()) {
      if (all.contains(name)) granted.insert(name);
    }
    if (caps != nullptr) {
      const auto& add = caps->add_capabilities();
      const auto& drop = caps->drop_capabilities();
      if (std::any_of(add.begin(), add.end(), IsAll)) granted = all;
      if (std::any_of(drop.begin(), drop.end(), IsAll)) granted.clear();
      for (int i = 0; i < add.size(); ++i) {
        if (IsAll(add[i])) continue;
        absl::StatusOr<std::string> cap = grantable(add[i], "add_capabilities", i);
        if (!cap.ok()) return cap.status();
        granted.insert(*cap);
      }
      for (int i = 0; i < drop.size(); ++i) {
        if (IsAll(drop[i])) continue;
        absl::StatusOr<std::string> cap = grantable(drop[i], "drop_capabilities", i);
        if (!cap.ok()) return cap.status();
        granted.erase(*cap);
      }
    }
  }
  if (caps != nullptr) {
    const auto& add_ambient = caps->add_ambient_capabilities();
    for (int i = 0; i < add_ambient.size(); ++i) {
      absl::StatusOr<std::string> cap = grantable(add_ambient[i], "add_ambient_capabilities", i);
      if (!cap.ok()) return cap.status();
      granted.insert(*cap);
      ambient.insert(*cap);
    }
  }
  return CapabilitySets{{granted.begin(), granted.end()}, {ambient.begin(), ambient.end()}};
}

}  // namespace cloison::oci
