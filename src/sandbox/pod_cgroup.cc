#include "cloison/sandbox/pod_cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"

namespace cloison::sandbox {
namespace {

using ::runtime::v1::LinuxContainerResources;
using util::CgroupHierarchy;
using util::MountedCgroupHierarchies;

constexpr int64_t kDefaultCpuPeriod = 100000;
constexpr int64_t kDefaultCpuShares = 1024;  // v1 cpu.shares of a new cgroup
constexpr int64_t kDefaultCpuWeight = 100;   // v2 cpu.weight of a new cgroup
constexpr int64_t kMinCpuShares = 2;
constexpr int64_t kMaxCpuShares = 262144;
constexpr int kBusyRetries = 20;
constexpr std::chrono::milliseconds kBusyRetryDelay(50);
// Controllers a pod's v2 cgroup gets from its parent when available.
constexpr absl::string_view kV2Controllers[] = {"cpu", "cpuset", "hugetlb", "io", "memory", "pids"};

struct PodLimits {
  int64_t memory = 0;
  int64_t cpu_shares = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_period = 0;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::map<std::string, uint64_t> hugepages;  // page size ("2MB") -> bytes
};

absl::Status WriteCgroupFile(const std::string& path, absl::string_view value) {
  util::UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return util::SystemCallError("open ", path);
  if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return util::SystemCallError("write \"", value, "\" to ", path);
  }
  return absl::OkStatus();
}

bool ValidPageSize(absl::string_view size) {
  if (size.size() < 3 || !absl::EndsWith(size, "B")) return false;
  const char unit = size[size.size() - 2];
  if (unit != 'K' && unit != 'M' && unit != 'G' && unit != 'T') return false;
  return std::all_of(size.begin(), size.end() - 2,
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

absl::StatusOr<PodLimits> ComputeLimits(const ::runtime::v1::LinuxPodSandboxConfig& config) {
  const LinuxContainerResources& resources = config.resources();
  const LinuxContainerResources& overhead = config.overhead();
  PodLimits limits;
  if (resources.memory_limit_in_bytes() > 0) {
    limits.memory =
        resources.memory_limit_in_bytes() + std::max<int64_t>(overhead.memory_limit_in_bytes(), 0);
  }
  const int64_t shares =
      std::max<int64_t>(resources.cpu_shares(), 0) + std::max<int64_t>(overhead.cpu_shares(), 0);
  if (shares > 0) limits.cpu_shares = std::clamp(shares, kMinCpuShares, kMaxCpuShares);
  if (resources.cpu_quota() > 0) {
    limits.cpu_period = resources.cpu_period() > 0 ? resources.cpu_period() : kDefaultCpuPeriod;
    const int64_t overhead_period =
        overhead.cpu_period() > 0 ? overhead.cpu_period() : kDefaultCpuPeriod;
    const int64_t overhead_quota =
        std::max<int64_t>(overhead.cpu_quota(), 0) * limits.cpu_period / overhead_period;
    limits.cpu_quota = resources.cpu_quota() + overhead_quota;
  }
  limits.cpuset_cpus = resources.cpuset_cpus();
  limits.cpuset_mems = resources.cpuset_mems();
  for (int i = 0; i < resources.hugepage_limits_size(); ++i) {
    const ::runtime::v1::HugepageLimit& limit = resources.hugepage_limits(i);
    if (!ValidPageSize(limit.page_size())) {
      return absl::InvalidArgumentError(absl::StrCat("linux.resources.hugepage_limits[", i,
                                                     "].page_size \"", limit.page_size(),
                                                     "\": expected like 2MB or 1GB"));
    }
    limits.hugepages[limit.page_size()] = limit.limit();
  }
  for (const ::runtime::v1::HugepageLimit& limit : overhead.hugepage_limits()) {
    auto it = limits.hugepages.find(limit.page_size());
    if (it != limits.hugepages.end()) it->second += limit.limit();
  }
  return limits;
}

bool Has(const std::vector<std::string>& controllers, absl::string_view controller) {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

// What a limit the config leaves unset is written as: the value a new cgroup starts with.
struct UnsetValues {
  std::string cpuset_cpus;              // v1: the parent's (a v1 cpuset cannot be empty)
  std::string cpuset_mems;
  std::vector<std::string> page_sizes;  // every hugetlb page size the cgroup has files for
};

// (file, value) pairs, written in order.
using CgroupWrites = std::vector<std::pair<std::string, std::string>>;

// Each hugepage size: the limit when the config has one, else `unlimited`.
void AddHugetlbWrites(const PodLimits& limits, const UnsetValues& unset, absl::string_view suffix,
                      absl::string_view unlimited, CgroupWrites& writes) {
  for (const auto& [size, bytes] : limits.hugepages) {
    writes.emplace_back(absl::StrCat("hugetlb.", size, suffix), absl::StrCat(bytes));
  }
  for (const std::string& size : unset.page_sizes) {
    if (limits.hugepages.count(size) == 0) writes.emplace_back(absl::StrCat("hugetlb.", size, suffix), unlimited);
  }
}

CgroupWrites V1Writes(const std::vector<std::string>& controllers, const PodLimits& limits,
                      const UnsetValues& unset) {
  CgroupWrites writes;
  if (Has(controllers, "memory")) {
    writes.emplace_back("memory.limit_in_bytes", limits.memory > 0 ? absl::StrCat(limits.memory) : "-1");
  }
  if (Has(controllers, "cpu")) {
    writes.emplace_back("cpu.shares", absl::StrCat(limits.cpu_shares > 0 ? limits.cpu_shares : kDefaultCpuShares));
    if (limits.cpu_quota > 0) {
      writes.emplace_back("cpu.cfs_period_us", absl::StrCat(limits.cpu_period));
      writes.emplace_back("cpu.cfs_quota_us", absl::StrCat(limits.cpu_quota));
    } else {  // quota first: an unlimited quota accepts any period
      writes.emplace_back("cpu.cfs_quota_us", "-1");
      writes.emplace_back("cpu.cfs_period_us", absl::StrCat(kDefaultCpuPeriod));
    }
  }
  if (Has(controllers, "cpuset")) {
    writes.emplace_back("cpuset.cpus", limits.cpuset_cpus.empty() ? unset.cpuset_cpus : limits.cpuset_cpus);
    writes.emplace_back("cpuset.mems", limits.cpuset_mems.empty() ? unset.cpuset_mems : limits.cpuset_mems);
  }
  if (Has(controllers, "hugetlb")) AddHugetlbWrites(limits, unset, ".limit_in_bytes", "-1", writes);
  return writes;
}

// cgroup v2 equivalents; shares become cpu.weight with the kernel's conversion, and an empty
// cpuset (written as a newline) means the parent's.
CgroupWrites V2Writes(const std::vector<std::string>& controllers, const PodLimits& limits,
                      const UnsetValues& unset) {
  CgroupWrites writes;
  if (Has(controllers, "memory")) {
    writes.emplace_back("memory.max", limits.memory > 0 ? absl::StrCat(limits.memory) : "max");
  }
  if (Has(controllers, "cpu")) {
    writes.emplace_back("cpu.weight", limits.cpu_shares > 0
                                          ? absl::StrCat(1 + (limits.cpu_shares - kMinCpuShares) * 9999 /
                                                                 (kMaxCpuShares - kMinCpuShares))
                                          : absl::StrCat(kDefaultCpuWeight));
    writes.emplace_back("cpu.max", limits.cpu_quota > 0 ? absl::StrCat(limits.cpu_quota, " ", limits.cpu_period)
                                                        : absl::StrCat("max ", kDefaultCpuPeriod));
  }
  if (Has(controllers, "cpuset")) {
    writes.emplace_back("cpuset.cpus", limits.cpuset_cpus.empty() ? "\n" : limits.cpuset_cpus);
    writes.emplace_back("cpuset.mems", limits.cpuset_mems.empty() ? "\n" : limits.cpuset_mems);
  }
  if (Has(controllers, "hugetlb")) AddHugetlbWrites(limits, unset, ".max", "max", writes);
  return writes;
}

// The page sizes of the hugetlb.<size><suffix> files in `dir` ("2MB", "1GB").
std::vector<std::string> HugetlbPageSizes(const std::string& dir, absl::string_view suffix) {
  std::vector<std::string> sizes;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir);
  if (!entries.ok()) return sizes;
  for (const util::DirectoryEntry& entry : *entries) {
    const std::string& name = entry.name;
    if (!absl::StartsWith(name, "hugetlb.") || !absl::EndsWith(name, suffix)) continue;
    const std::string size = name.substr(8, name.size() - 8 - suffix.size());
    if (ValidPageSize(size)) sizes.push_back(size);  // skips hugetlb.2MB.rsvd.max and the like
  }
  return sizes;
}

absl::StatusOr<std::vector<std::string>> V2Controllers(const std::string& dir) {
  absl::StatusOr<std::string> text = util::ReadFile(absl::StrCat(dir, "/cgroup.controllers"));
  if (!text.ok()) return text.status();
  return std::vector<std::string>(absl::StrSplit(*text, absl::ByAnyChar(" \n"), absl::SkipEmpty()));
}

// Writes every limit cloison manages, so that one the config leaves unset goes back to
// unlimited (or the default) instead of keeping an earlier value.
absl::Status ApplyLimits(const CgroupHierarchy& hierarchy, const std::string& dir,
                         const PodLimits& limits) {
  CgroupWrites writes;
  UnsetValues unset;
  if (hierarchy.unified) {
    absl::StatusOr<std::vector<std::string>> controllers = V2Controllers(dir);
    if (!controllers.ok()) return controllers.status();
    if (Has(*controllers, "hugetlb")) unset.page_sizes = HugetlbPageSizes(dir, ".max");
    writes = V2Writes(*controllers, limits, unset);
  } else {
    if (Has(hierarchy.controllers, "cpuset")) {
      const std::string parent = dir.substr(0, dir.rfind('/'));
      absl::StatusOr<std::string> cpus = util::ReadFile(absl::StrCat(parent, "/cpuset.cpus"));
      if (!cpus.ok()) return cpus.status();
      absl::StatusOr<std::string> mems = util::ReadFile(absl::StrCat(parent, "/cpuset.mems"));
      if (!mems.ok()) return mems.status();
      unset.cpuset_cpus = *cpus;
      unset.cpuset_mems = *mems;
    }
    if (Has(hierarchy.controllers, "hugetlb")) unset.page_sizes = HugetlbPageSizes(dir, ".limit_in_bytes");
    writes = V1Writes(hierarchy.controllers, limits, unset);
  }
  for (const auto& [file, value] : writes) {
    if (absl::Status status = WriteCgroupFile(absl::StrCat(dir, "/", file), value); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

// Makes a new cgroup usable: v1 cpuset needs cpus and mems before a task may join; a v2
// child only has the controllers its parent enables.
absl::Status PrepareNewCgroup(const CgroupHierarchy& hierarchy, const std::string& parent,
                              const std::string& dir) {
  if (hierarchy.unified) {
    absl::StatusOr<std::vector<std::string>> available = V2Controllers(parent);
    if (!available.ok()) return available.status();
    std::vector<std::string> enable;
    for (absl::string_view controller : kV2Controllers) {
      if (std::find(available->begin(), available->end(), controller) != available->end()) {
        enable.push_back(absl::StrCat("+", controller));
      }
    }
    if (enable.empty()) return absl::OkStatus();
    return WriteCgroupFile(absl::StrCat(parent, "/cgroup.subtree_control"),
                           absl::StrJoin(enable, " "));
  }
  if (!Has(hierarchy.controllers, "cpuset")) return absl::OkStatus();
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    absl::StatusOr<std::string> value = util::ReadFile(absl::StrCat(parent, "/", file));
    if (!value.ok()) return value.status();
    if (absl::Status status = WriteCgroupFile(absl::StrCat(dir, "/", file), *value); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

// Creates cgroup_parent's missing directories in one hierarchy, appending them to `created`.
// Returns whether the pod's own (last) directory was created.
absl::StatusOr<bool> CreateIn(const CgroupHierarchy& hierarchy,
                              const std::vector<std::string>& components,
                              std::vector<std::string>& created) {
  std::string dir = hierarchy.mount_point;
  bool made = false;
  for (const std::string& component : components) {
    const std::string parent = dir;
    absl::StrAppend(&dir, "/", component);
    made = mkdir(dir.c_str(), 0755) == 0;
    if (!made && errno != EEXIST) {
      return util::SystemCallError("mkdir ", dir);
    }
    if (!made) continue;
    created.push_back(dir);
    if (absl::Status status = PrepareNewCgroup(hierarchy, parent, dir); !status.ok()) return status;
  }
  return made;
}

bool OnCgroupFs(const std::string& dir) {
  struct statfs info {};
  return statfs(dir.c_str(), &info) == 0 &&
         (info.f_type == CGROUP_SUPER_MAGIC || info.f_type == CGROUP2_SUPER_MAGIC);
}

// rmdir, retried while the kernel reports EBUSY (a cgroup whose last task just exited).
absl::Status RemoveRetrying(const std::string& dir) {
  for (int attempt = 0;; ++attempt) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY) {
      return util::SystemCallError("rmdir ", dir);
    }
    if (attempt == kBusyRetries) {
      return absl::FailedPreconditionError(
          absl::StrCat("rmdir ", dir, ": cgroup still busy (processes inside?)"));
    }
    std::this_thread::sleep_for(kBusyRetryDelay);
  }
}

// Removes `dir` after the child cgroups in it, deepest first.
absl::Status RemoveTree(const std::string& dir) {
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir);
  for (const util::DirectoryEntry& entry : entries.ok() ? *entries : std::vector<util::DirectoryEntry>{}) {
    if (entry.type != std::filesystem::file_type::directory) continue;
    if (absl::Status status = RemoveTree(absl::StrCat(dir, "/", entry.name)); !status.ok()) return status;
  }
  return RemoveRetrying(dir);
}

absl::StatusOr<std::vector<std::string>> SplitCgroupParent(const std::string& cgroup_parent) {
  auto invalid = [&](absl::string_view reason) {
    return absl::InvalidArgumentError(
        absl::StrCat("linux.cgroup_parent \"", cgroup_parent, "\": ", reason));
  };
  if (cgroup_parent.front() != '/') {
    return invalid("a cgroupfs path must be absolute (or a systemd .slice)");
  }
  std::vector<std::string> components = absl::StrSplit(cgroup_parent, '/', absl::SkipEmpty());
  for (const std::string& component : components) {
    if (component == "." || component == "..") return invalid("must not contain . or ..");
  }
  if (components.empty()) return invalid("the root cgroup cannot be a pod cgroup");
  return components;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MissingPodCgroupDirs(const ::runtime::v1::LinuxPodSandboxConfig& config) {
  std::vector<std::string> missing;
  const std::string& cgroup_parent = config.cgroup_parent();
  if (cgroup_parent.empty() || absl::EndsWith(cgroup_parent, ".slice")) return missing;
  absl::StatusOr<std::vector<std::string>> components = SplitCgroupParent(cgroup_parent);
  if (!components.ok()) return components.status();
  absl::StatusOr<std::vector<CgroupHierarchy>> hierarchies = MountedCgroupHierarchies();
  if (!hierarchies.ok()) return hierarchies.status();
  for (const CgroupHierarchy& hierarchy : *hierarchies) {
    std::string dir = hierarchy.mount_point;
    for (const std::string& component : *components) {
      absl::StrAppend(&dir, "/", component);
      struct stat info {};
      if (stat(dir.c_str(), &info) != 0 && errno == ENOENT) missing.push_back(dir);
    }
  }
  return missing;
}

absl::StatusOr<PodCgroup> CreatePodCgroup(const ::runtime::v1::LinuxPodSandboxConfig& config) {
  PodCgroup cgroup;
  cgroup.cgroup_parent = config.cgroup_parent();
  if (cgroup.cgroup_parent.empty()) return cgroup;
  // systemd driver: systemd owns slices; only the name is recorded.
  if (absl::EndsWith(cgroup.cgroup_parent, ".slice")) {
    cgroup.systemd_slice = true;
    return cgroup;
  }
  absl::StatusOr<std::vector<std::string>> components = SplitCgroupParent(cgroup.cgroup_parent);
  if (!components.ok()) return components.status();
  absl::StatusOr<PodLimits> limits = ComputeLimits(config);
  if (!limits.ok()) return limits.status();
  absl::StatusOr<std::vector<CgroupHierarchy>> hierarchies = MountedCgroupHierarchies();
  if (!hierarchies.ok()) return hierarchies.status();

  absl::Status status;
  for (const CgroupHierarchy& hierarchy : *hierarchies) {
    absl::StatusOr<bool> made = CreateIn(hierarchy, *components, cgroup.created);
    status = made.status();
    // Limits go only where cloison made the pod's cgroup; a kubelet-made one keeps kubelet's.
    if (status.ok() && *made) status = ApplyLimits(hierarchy, cgroup.created.back(), *limits);
    if (!status.ok()) break;
  }
  if (!status.ok()) {
    (void)RemovePodCgroup(cgroup);
    return status;
  }
  return cgroup;
}

absl::Status UpdatePodCgroup(const PodCgroup& cgroup, const ::runtime::v1::LinuxPodSandboxConfig& config) {
  if (cgroup.systemd_slice || cgroup.created.empty()) return absl::OkStatus();
  absl::StatusOr<PodLimits> limits = ComputeLimits(config);
  if (!limits.ok()) return limits.status();
  absl::StatusOr<std::vector<CgroupHierarchy>> hierarchies = MountedCgroupHierarchies();
  if (!hierarchies.ok()) return hierarchies.status();
  const std::vector<absl::string_view> components =
      absl::StrSplit(cgroup.cgroup_parent, '/', absl::SkipEmpty());
  const std::string pod_path = absl::StrCat("/", absl::StrJoin(components, "/"));
  for (const CgroupHierarchy& hierarchy : *hierarchies) {
    const std::string dir = absl::StrCat(hierarchy.mount_point, pod_path);
    if (std::find(cgroup.created.begin(), cgroup.created.end(), dir) == cgroup.created.end()) continue;
    if (absl::Status status = ApplyLimits(hierarchy, dir, *limits); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status RemovePodCgroup(const PodCgroup& cgroup) {
  if (cgroup.systemd_slice) return absl::OkStatus();
  const std::vector<absl::string_view> components =
      absl::StrSplit(cgroup.cgroup_parent, '/', absl::SkipEmpty());
  const std::string pod_suffix = absl::StrCat("/", absl::StrJoin(components, "/"));
  absl::Status result;
  for (auto it = cgroup.created.rbegin(); it != cgroup.created.rend(); ++it) {
    const std::string& dir = *it;
    if (access(dir.c_str(), F_OK) != 0 && errno == ENOENT) continue;
    if (!OnCgroupFs(dir)) {
      result.Update(absl::InvalidArgumentError(
          absl::StrCat("remove pod cgroup ", dir, ": not on a cgroup filesystem")));
      continue;
    }
    if (absl::EndsWith(dir, pod_suffix)) {
      result.Update(RemoveTree(dir));
    } else if (rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY) {
      // An ancestor still in use by another pod (EBUSY) stays.
      result.Update(util::SystemCallError("rmdir ", dir));
    }
  }
  return result;
}

}  // namespace cloison::sandbox
