// The names OCI seccomp sections give libseccomp's architectures, actions and argument
// operators, shared by the oci module (which checks a profile before it goes into config.json)
// and cloison-monitor (which compiles the section itself for a direct ExecSync). Header-only,
// so that util does not link libseccomp: each user links it its own way (cloison-monitor from
// the static archive, cmake/StaticHelperLink.cmake).
#pragma once

#include <seccomp.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace cloison::util {

// "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when unknown.
inline uint32_t SeccompArchToken(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "SCMP_ARCH_")) return 0;
  return seccomp_arch_resolve_name(absl::AsciiStrToLower(name).c_str());
}

// The actions by name (sorted, for messages): each gives libseccomp's value from the errno
// (SCMP_ACT_ERRNO) or tracer message (SCMP_ACT_TRACE) the rule carries, which the others ignore.
inline const std::map<std::string, uint32_t (*)(uint32_t)>& SeccompActions() {
  static const std::map<std::string, uint32_t (*)(uint32_t)> kActions = {
      {"SCMP_ACT_ALLOW", [](uint32_t) { return SCMP_ACT_ALLOW; }},
      {"SCMP_ACT_ERRNO", [](uint32_t code) { return SCMP_ACT_ERRNO(code); }},
      {"SCMP_ACT_KILL", [](uint32_t) { return SCMP_ACT_KILL_THREAD; }},
      {"SCMP_ACT_KILL_PROCESS", [](uint32_t) { return SCMP_ACT_KILL_PROCESS; }},
      {"SCMP_ACT_KILL_THREAD", [](uint32_t) { return SCMP_ACT_KILL_THREAD; }},
      {"SCMP_ACT_LOG", [](uint32_t) { return SCMP_ACT_LOG; }},
      {"SCMP_ACT_NOTIFY", [](uint32_t) { return SCMP_ACT_NOTIFY; }},
      {"SCMP_ACT_TRACE", [](uint32_t code) { return SCMP_ACT_TRACE(code); }},
      {"SCMP_ACT_TRAP", [](uint32_t) { return SCMP_ACT_TRAP; }}};
  return kActions;
}

// The argument comparisons by name (sorted, for messages).
inline const std::map<std::string, scmp_compare>& SeccompOperators() {
  static const std::map<std::string, scmp_compare> kOperators = {
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
      {"SCMP_CMP_NE", SCMP_CMP_NE}};
  return kOperators;
}

}  // namespace cloison::util
