#include "cloison/sandbox/namespaced_sysctl.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cloison::sandbox {
namespace {

constexpr std::array<absl::string_view, 8> kIpcSysctls = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

absl::Status Invalid(absl::string_view key, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("linux.sysctls[\"", key, "\"]: ", reason));
}

// Swaps '.' and '/': the dotted spelling and the /proc/sys path are each other's swap.
std::string SwapSeparators(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '.') {
      c = '/';
    } else if (c == '/') {
      c = '.';
    }
  }
  return out;
}

bool ValidCharacters(absl::string_view key) {
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
        c != '/') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NamespacedSysctlPath(absl::string_view key, const OwnNamespaces& own) {
  if (key.empty()) return Invalid(key, "empty sysctl name");
  if (!ValidCharacters(key)) return Invalid(key, "invalid character in sysctl name");
  const size_t first_separator = key.find_first_of("./");
  const bool slashed = first_separator != absl::string_view::npos && key[first_separator] == '/';
  const std::string dotted = slashed ? SwapSeparators(key) : std::string(key);
  const std::string relative = SwapSeparators(dotted);
  for (absl::string_view part : absl::StrSplit(relative, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return Invalid(key, "malformed sysctl name");
    }
  }

  bool ipc_sysctl = absl::StartsWith(dotted, "fs.mqueue.");
  for (absl::string_view name : kIpcSysctls) ipc_sysctl = ipc_sysctl || dotted == name;
  if (ipc_sysctl) {
    if (!own.ipc) {
      return Invalid(key, "an IPC sysctl needs the pod's own IPC namespace (not host IPC)");
    }
  } else if (absl::StartsWith(dotted, "net.")) {
    if (!own.network) {
      return Invalid(key,
                     "a net.* sysctl needs the pod's own network namespace (not host network)");
    }
  } else if (dotted == "kernel.hostname" || dotted == "kernel.domainname") {
    if (!own.uts) return Invalid(key, "a UTS sysctl needs the pod's own UTS namespace");
  } else {
    return Invalid(key, "not a namespaced sysctl; it would change the whole node");
  }
  return absl::StrCat("/proc/sys/", relative);
}

}  // namespace cloison::sandbox
