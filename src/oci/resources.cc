#include "cloison/oci/resources.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cloison::oci {

nlohmann::json LinuxResources(const ::runtime::v1::LinuxContainerResources& r) {
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json cpu = nlohmann::json::object();
  if (r.cpu_shares() > 0) cpu["shares"] = static_cast<uint64_t>(r.cpu_shares());
  if (r.cpu_quota() != 0) cpu["quota"] = r.cpu_quota();
  if (r.cpu_period() > 0) cpu["period"] = static_cast<uint64_t>(r.cpu_period());
  if (!r.cpuset_cpus().empty()) cpu["cpus"] = r.cpuset_cpus();
  if (!r.cpuset_mems().empty()) cpu["mems"] = r.cpuset_mems();
  if (!cpu.empty()) out["cpu"] = std::move(cpu);

  nlohmann::json memory = nlohmann::json::object();
  if (r.memory_limit_in_bytes() != 0) memory["limit"] = r.memory_limit_in_bytes();
  if (r.memory_swap_limit_in_bytes() != 0) memory["swap"] = r.memory_swap_limit_in_bytes();
  if (!memory.empty()) out["memory"] = std::move(memory);

  if (!r.hugepage_limits().empty()) {
    nlohmann::json limits = nlohmann::json::array();
    for (const ::runtime::v1::HugepageLimit& limit : r.hugepage_limits()) {
      limits.push_back({{"pageSize", limit.page_size()}, {"limit", limit.limit()}});
    }
    out["hugepageLimits"] = std::move(limits);
  }
  if (!r.unified().empty()) {
    out["unified"] = std::map<std::string, std::string>(r.unified().begin(), r.unified().end());
  }
  return out;
}

absl::StatusOr<int64_t> OomScoreAdj(int64_t requested, int64_t minimum, const char* field) {
  if (requested > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", requested, " is above the maximum of 1000"));
  }
  return std::max(requested, minimum);
}

}  // namespace cloison::oci
