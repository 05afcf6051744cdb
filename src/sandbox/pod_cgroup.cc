#include "cloison/sandbox/pod_cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloison/sandbox/cgroup_hierarchies.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/unique_fd.h"

namespace cloison::sandbox {
namespace {

using ::runtime::v1::LinuxContainerResources;

constexpr int64_t kDefaultCpuPeriod = 100000;
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

std::string ErrnoText(int error) { return std::strerror(error); }

absl::Status WriteCgroupFile(const std::string& path, absl::string_view value) {
  util::UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("open ", path, ": ", ErrnoText(errno)));
  if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return absl::InternalError(
        absl::StrCat("write \"", value, "\" to ", path, ": ", ErrnoText(errno)));
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

// (file, value) pairs, written in order.
using CgroupWrites = std::vector<std::pair<std::string, std::string>>;

CgroupWrites V1Writes(const std::vector<std::string>& controllers, const PodLimits& limits) {
  CgroupWrites writes;
  if (Has(controllers, "memory") && limits.memory > 0) {
    writes.emplace_back("memory.limit_in_bytes", absl::StrCat(limits.memory));
  }
  if (Has(controllers, "cpu") && limits.cpu_shares > 0) {
    writes.emplace_back("cpu.shares", absl::StrCat(limits.cpu_shares));
  }
  if (Has(controllers, "cpu") && limits.cpu_quota > 0) {
    writes.emplace_back("cpu.cfs_period_us", absl::StrCat(limits.cpu_period));
    writes.emplace_back("cpu.cfs_quota_us", absl::StrCat(limits.cpu_quota));
  }
  if (Has(controllers, "cpuset") && !limits.cpuset_cpus.empty()) {
    writes.emplace_back("cpuset.cpus", limits.cpuset_cpus);
  }
  if (Has(controllers, "cpuset") && !limits.cpuset_mems.empty()) {
    writes.emplace_back("cpuset.mems", limits.cpuset_mems);
  }
  if (Has(controllers, "hugetlb")) {
    for (const auto& [size, bytes] : limits.hugepages) {
      writes.emplace_back(absl::StrCat("hugetlb.", size, ".limit_in_bytes"), absl::StrCat(bytes));
    }
  }
  return writes;
}

// cgroup v2 equivalents; shares become cpu.weight with the kernel's conversion.
CgroupWrites V2Writes(const std::vector<std::string>& controllers, const PodLimits& limits) {
  CgroupWrites writes;
  if (Has(controllers, "memory") && limits.memory > 0) {
    writes.emplace_back("memory.max", absl::StrCat(limits.memory));
  }
  if (Has(controllers, "cpu") && limits.cpu_shares > 0) {
    writes.emplace_back("cpu.weight", absl::StrCat(1 + (limits.cpu_shares - kMinCpuShares) * 9999 /
                                                           (kMaxCpuShares - kMinCpuShares)));
  }
  if (Has(controllers, "cpu") && limits.cpu_quota > 0) {
    writes.emplace_back("cpu.max", absl::StrCat(limits.cpu_quota, " ", limits.cpu_period));
  }
  if (Has(controllers, "cpuset") && !limits.cpuset_cpus.empty()) {
    writes.emplace_back("cpuset.cpus", limits.cpuset_cpus);
  }
  if (Has(controllers, "cpuset") && !limits.cpuset_mems.empty()) {
    writes.emplace_back("cpuset.mems", limits.cpuset_mems);
  }
  if (Has(controllers, "hugetlb")) {
    for (const auto& [size, bytes] : limits.hugepages) {
      writes.emplace_back(absl::StrCat("hugetlb.", size, ".max"), absl::StrCat(bytes));
    }
  }
  return writes;
}

absl::StatusOr<std::vector<std::string>> V2Controllers(const std::string& dir) {
  absl::StatusOr<std::string> text = util::ReadFile(absl::StrCat(dir, "/cgroup.controllers"));
  if (!text.ok()) return text.status();
  return std::vector<std::string>(absl::StrSplit(*text, absl::ByAnyChar(" \n"), absl::SkipEmpty()));
}

absl::Status ApplyLimits(const CgroupHierarchy& hierarchy, const std::string& dir,
                         const PodLimits& limits) {
  CgroupWrites writes;
  if (hierarchy.unified) {
    absl::StatusOr<std::vector<std::string>> controllers = V2Controllers(dir);
    if (!controllers.ok()) return controllers.status();
    writes = V2Writes(*controllers, limits);
  } else {
    writes = V1Writes(hierarchy.controllers, limits);
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
      return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ErrnoText(errno)));
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
      return absl::InternalError(absl::StrCat("rmdir ", dir, ": ", ErrnoText(errno)));
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
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!entry.is_directory(error) || entry.is_symlink(error)) continue;
    if (absl::Status status = RemoveTree(entry.path().string()); !status.ok()) return status;
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
      result.Update(absl::InternalError(absl::StrCat("rmdir ", dir, ": ", ErrnoText(errno))));
    }
  }
  return result;
}

}  // namespace cloison::sandbox
