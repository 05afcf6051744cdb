#include "cloison/monitor/oom_counter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/util/errno_status.h"

namespace cloison::monitor {
namespace {

void AddV1Candidate(absl::string_view path, const std::string& root, std::vector<std::string>& out) {
  out.push_back(absl::StrCat(root, "/memory", path, "/memory.oom_control"));
}

// On hybrid hosts the unified hierarchy is mounted at <root>/unified, on pure v2 ones at <root>.
void AddV2Candidates(absl::string_view path, const std::string& root, std::vector<std::string>& out) {
  out.push_back(absl::StrCat(root, "/unified", path, "/memory.events"));
  out.push_back(absl::StrCat(root, path, "/memory.events"));
}

// Candidate counter files for one /proc/<pid>/cgroup text, the v1 memory controller first
// (on hybrid hosts it is the one that enforces memory limits).
std::vector<std::string> CounterCandidates(absl::string_view cgroup_text, const std::string& root) {
  std::vector<std::string> v1;
  std::vector<std::string> v2;
  for (absl::string_view line : absl::StrSplit(cgroup_text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3) continue;
    if (fields[0] == "0" && fields[1].empty()) {
      AddV2Candidates(fields[2], root, v2);
      continue;
    }
    for (absl::string_view controller : absl::StrSplit(fields[1], ',')) {
      if (controller == "memory") AddV1Candidate(fields[2], root, v1);
    }
  }
  v1.insert(v1.end(), v2.begin(), v2.end());
  return v1;
}

}  // namespace

absl::StatusOr<uint64_t> ParseOomKillCount(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> field = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint64_t count = 0;
    if (field.first == "oom_kill" && absl::SimpleAtoi(field.second, &count)) return count;
  }
  return absl::NotFoundError("no oom_kill counter");
}

absl::StatusOr<OomCounter> OomCounter::ForProcess(pid_t pid, const std::string& proc_root,
                                                  const std::string& cgroup_root) {
  absl::StatusOr<std::string> cgroups = util::ReadFile(absl::StrCat(proc_root, "/", pid, "/cgroup"));
  if (!cgroups.ok()) return cgroups.status();
  return FirstReadable(CounterCandidates(*cgroups, cgroup_root), absl::StrCat("pid ", pid));
}

absl::StatusOr<OomCounter> OomCounter::ForCgroupsPath(const std::string& cgroups_path,
                                                      const std::string& cgroup_root) {
  const std::string path = util::CgroupRelativePath(cgroups_path);
  std::vector<std::string> candidates;
  AddV1Candidate(path, cgroup_root, candidates);
  AddV2Candidates(path, cgroup_root, candidates);
  return FirstReadable(std::move(candidates), absl::StrCat("cgroupsPath ", cgroups_path));
}

absl::StatusOr<OomCounter> OomCounter::FirstReadable(std::vector<std::string> candidates, const std::string& what) {
  for (std::string& candidate : candidates) {
    util::UniqueFd fd(open(candidate.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) continue;
    OomCounter counter(std::move(candidate), std::move(fd));
    if (counter.Read().ok()) return counter;
  }
  return absl::NotFoundError(absl::StrCat("no memory cgroup OOM counter found for ", what));
}

absl::StatusOr<uint64_t> OomCounter::Read() const {
  char buffer[1024];
  const ssize_t n = pread(fd_.get(), buffer, sizeof(buffer) - 1, 0);
  if (n < 0) return util::SystemCallError("read ", path_);
  return ParseOomKillCount(absl::string_view(buffer, static_cast<size_t>(n)));
}

}  // namespace cloison::monitor
