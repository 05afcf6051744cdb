#include "cloison/util/cgroup_hierarchies.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloison/util/atomic_file.h"

namespace cloison::util {
namespace {

// The cgroup v1 controllers the kernel knows; the other super options are flags.
const std::set<std::string, std::less<>> kV1Controllers = {
    "blkio",  "cpu",  "cpuacct", "cpuset",   "devices",    "freezer", "hugetlb",
    "memory", "misc", "net_cls", "net_prio", "perf_event", "pids",    "rdma"};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        absl::ascii_isdigit(static_cast<unsigned char>(field[i + 1])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(field[i + 2])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(field[i + 3]))) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<CgroupHierarchy>> ParseCgroupHierarchies(absl::string_view mountinfo) {
  std::vector<CgroupHierarchy> hierarchies;
  std::set<std::string> seen_devices;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    ++line_number;
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    size_t separator = 6;
    while (separator < fields.size() && fields[separator] != "-") ++separator;
    if (separator + 3 >= fields.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mountinfo line ", line_number, ": malformed: ", line));
    }
    const absl::string_view fstype = fields[separator + 1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    if (!seen_devices.insert(std::string(fields[2])).second) continue;
    CgroupHierarchy hierarchy;
    hierarchy.mount_point = Unescape(fields[4]);
    hierarchy.unified = fstype == "cgroup2";
    if (!hierarchy.unified) {
      for (absl::string_view option : absl::StrSplit(fields[separator + 3], ',')) {
        if (kV1Controllers.contains(option) || absl::StartsWith(option, "name=")) {
          hierarchy.controllers.emplace_back(option);
        }
      }
    }
    hierarchies.push_back(std::move(hierarchy));
  }
  return hierarchies;
}

absl::StatusOr<std::vector<CgroupHierarchy>> MountedCgroupHierarchies() {
  absl::StatusOr<std::string> mountinfo = util::ReadFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  return ParseCgroupHierarchies(*mountinfo);
}

std::string CgroupRelativePath(const std::string& cgroups_path) {
  std::vector<std::string> parts = absl::StrSplit(cgroups_path, ':');
  if (parts.size() != 3) {
    return cgroups_path.empty() || cgroups_path.front() == '/' ? cgroups_path : absl::StrCat("/", cgroups_path);
  }
  const std::string& slice = parts[0];
  std::string path;
  if (slice != "-.slice" && !slice.empty()) {
    absl::string_view name = absl::StripSuffix(slice, ".slice");
    std::string prefix;
    for (absl::string_view piece : absl::StrSplit(name, '-')) {
      prefix = prefix.empty() ? std::string(piece) : absl::StrCat(prefix, "-", piece);
      absl::StrAppend(&path, "/", prefix, ".slice");
    }
  }
  return absl::StrCat(path, "/", parts[1], "-", parts[2], ".scope");
}

}  // namespace cloison::util
