#include "cloison/util/process_limits.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace cloison::util {
namespace {

// Capability numbers as linux/capability.h numbers them.
constexpr const char* kCapabilityNames[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

uint64_t EffectiveMask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "CapEff:")) continue;
    uint64_t mask = 0;
    if (absl::SimpleHexAtoi(absl::StripAsciiWhitespace(rest), &mask)) return mask;
  }
  return 0;
}

}  // namespace

std::vector<std::string> HeldCapabilities() {
  const uint64_t mask = EffectiveMask();
  std::vector<std::string> names;
  for (size_t bit = 0; bit < std::size(kCapabilityNames); ++bit) {
    if (mask & (uint64_t{1} << bit)) names.push_back(kCapabilityNames[bit]);
  }
  return names;
}

std::optional<int> CapabilityNumber(const std::string& name) {
  for (size_t number = 0; number < std::size(kCapabilityNames); ++number) {
    if (name == kCapabilityNames[number]) return static_cast<int>(number);
  }
  return std::nullopt;
}

int64_t MinimumOomScoreAdj() {
  std::ifstream file("/proc/self/oom_score_adj");
  int64_t value = 0;
  if (!(file >> value)) return 0;
  const uint64_t sys_resource = uint64_t{1} << 24;
  return (EffectiveMask() & sys_resource) ? -1000 : value;
}

}  // namespace cloison::util
