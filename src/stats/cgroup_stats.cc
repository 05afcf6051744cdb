#include "cloison/stats/cgroup_stats.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"

namespace cloison::stats {
namespace {

// Above this a v1 memory limit means "unlimited" (the kernel reports PAGE_COUNTER_MAX pages).
constexpr uint64_t kUnlimited = uint64_t{1} << 62;

std::optional<uint64_t> ReadNumber(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  uint64_t value = 0;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) return std::nullopt;
  return value;
}

// "key value" lines (memory.stat, cpu.stat).
std::map<std::string, uint64_t> ReadKeyed(const std::string& path) {
  std::map<std::string, uint64_t> out;
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (!text.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t value = 0;
    if (parts.size() == 2 && absl::SimpleAtoi(parts[1], &value)) out[std::string(parts[0])] = value;
  }
  return out;
}

uint64_t Get(const std::map<std::string, uint64_t>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? 0 : it->second;
}

// The memory.stat keys of the counters a MemorySample takes: cgroup v1's totals over the
// cgroup's subtree, or v2's (which always count the subtree).
struct MemoryStatKeys {
  const char* inactive_file;
  const char* rss;
  const char* page_faults;
  const char* major_page_faults;
};
constexpr MemoryStatKeys kV1MemoryStat{"total_inactive_file", "total_rss", "total_pgfault",
                                       "total_pgmajfault"};
constexpr MemoryStatKeys kV2MemoryStat{"inactive_file", "anon", "pgfault", "pgmajfault"};

// The memory of a cgroup using `usage` bytes, from its memory.stat `stat_path`: the working set
// is the usage less the inactive file pages. No limit.
MemorySample MemoryFromStat(uint64_t usage, const std::string& stat_path, const MemoryStatKeys& keys) {
  const std::map<std::string, uint64_t> stat = ReadKeyed(stat_path);
  MemorySample m;
  m.usage_bytes = usage;
  const uint64_t inactive = Get(stat, keys.inactive_file);
  m.working_set_bytes = usage > inactive ? usage - inactive : 0;
  m.rss_bytes = Get(stat, keys.rss);
  m.page_faults = Get(stat, keys.page_faults);
  m.major_page_faults = Get(stat, keys.major_page_faults);
  return m;
}

// v1 counts memory and swap together in memsw: swap is the difference. Its limit is the memsw
// limit less the memory limit, unlimited when either is.
std::optional<SwapSample> ReadV1Swap(const std::string& dir, uint64_t memory_usage, std::optional<uint64_t> memory_limit) {
  std::optional<uint64_t> memsw_usage = ReadNumber(dir + "/memory.memsw.usage_in_bytes");
  if (!memsw_usage) return std::nullopt;  // no swap accounting
  SwapSample swap;
  swap.usage_bytes = *memsw_usage > memory_usage ? *memsw_usage - memory_usage : 0;
  std::optional<uint64_t> memsw_limit = ReadNumber(dir + "/memory.memsw.limit_in_bytes");
  if (memsw_limit && *memsw_limit < kUnlimited && memory_limit) {
    swap.limit_bytes = *memsw_limit > *memory_limit ? *memsw_limit - *memory_limit : 0;
  }
  return swap;
}

const util::CgroupHierarchy* WithController(const std::vector<util::CgroupHierarchy>& hierarchies,
                                               const std::string& controller) {
  for (const util::CgroupHierarchy& h : hierarchies) {
    if (h.unified) continue;
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return &h;
  }
  return nullptr;
}

CgroupSample ReadV1(const std::vector<util::CgroupHierarchy>& hierarchies, const std::string& rel) {
  CgroupSample sample;
  if (const util::CgroupHierarchy* cpu = WithController(hierarchies, "cpuacct")) {
    sample.cpu_usage_ns = ReadNumber(cpu->mount_point + rel + "/cpuacct.usage");
  }
  if (const util::CgroupHierarchy* memory = WithController(hierarchies, "memory")) {
    const std::string dir = memory->mount_point + rel;
    if (std::optional<uint64_t> usage = ReadNumber(dir + "/memory.usage_in_bytes")) {
      MemorySample m = MemoryFromStat(*usage, dir + "/memory.stat", kV1MemoryStat);
      std::optional<uint64_t> limit = ReadNumber(dir + "/memory.limit_in_bytes");
      if (limit && *limit < kUnlimited) m.limit_bytes = limit;
      sample.memory = m;
      sample.swap = ReadV1Swap(dir, m.usage_bytes, m.limit_bytes);
    }
  }
  if (const util::CgroupHierarchy* pids = WithController(hierarchies, "pids")) {
    sample.pids = ReadNumber(pids->mount_point + rel + "/pids.current");
  }
  return sample;
}

CgroupSample ReadV2(const std::string& dir) {
  CgroupSample sample;
  const std::map<std::string, uint64_t> cpu = ReadKeyed(dir + "/cpu.stat");
  if (cpu.contains("usage_usec")) sample.cpu_usage_ns = Get(cpu, "usage_usec") * 1000;
  if (std::optional<uint64_t> usage = ReadNumber(dir + "/memory.current")) {
    MemorySample m = MemoryFromStat(*usage, dir + "/memory.stat", kV2MemoryStat);
    m.limit_bytes = ReadNumber(dir + "/memory.max");  // "max" does not parse: unlimited
    sample.memory = m;
  }
  if (std::optional<uint64_t> swap_usage = ReadNumber(dir + "/memory.swap.current")) {
    sample.swap = SwapSample{*swap_usage, ReadNumber(dir + "/memory.swap.max")};
  }
  sample.pids = ReadNumber(dir + "/pids.current");
  return sample;
}

}  // namespace

CgroupSample ReadCgroupSample(const std::vector<util::CgroupHierarchy>& hierarchies,
                              const std::string& cgroups_path) {
  const std::string rel = util::CgroupRelativePath(cgroups_path);
  if (WithController(hierarchies, "memory") != nullptr) return ReadV1(hierarchies, rel);
  for (const util::CgroupHierarchy& h : hierarchies) {
    if (h.unified) return ReadV2(h.mount_point + rel);
  }
  return {};
}

}  // namespace cloison::stats
