#include "cloison/runtime/runsc_quirks.h"

#include <algorithm>
#include <filesystem>

namespace cloison::runtime {

bool IsRunsc(const HandlerInfo& handler) {
  return std::filesystem::path(handler.resolved_path).filename() == "runsc";
}

std::vector<std::string> GrantableCapabilities(const HandlerInfo& handler, const std::vector<std::string>& held) {
  if (!IsRunsc(handler)) return held;
  static const std::vector<std::string> kUnknownToRunsc = {"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
  std::vector<std::string> known;
  for (const std::string& capability : held) {
    if (std::find(kUnknownToRunsc.begin(), kUnknownToRunsc.end(), capability) == kUnknownToRunsc.end()) {
      known.push_back(capability);
    }
  }
  return known;
}

}  // namespace cloison::runtime
