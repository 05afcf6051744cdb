#include "cloison/monitor/container_target.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/proc_stat.h"

namespace cloison::monitor {
namespace {

absl::Status Gone(const std::string& what) { return absl::FailedPreconditionError(what); }

// When the process started, in nanoseconds of CLOCK_REALTIME (its start time in /proc/<pid>/stat
// is in clock ticks since boot).
absl::StatusOr<int64_t> StartedAtRealtimeNs(pid_t pid) {
  absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(pid);
  if (absl::IsNotFound(stat.status())) return Gone(std::string(stat.status().message()));
  if (!stat.ok()) return stat.status();
  timespec boot{}, real{};
  clock_gettime(CLOCK_BOOTTIME, &boot);
  clock_gettime(CLOCK_REALTIME, &real);
  const int64_t boot_ns = boot.tv_sec * 1'000'000'000LL + boot.tv_nsec;
  const int64_t real_ns = real.tv_sec * 1'000'000'000LL + real.tv_nsec;
  const int64_t ticks_per_second = sysconf(_SC_CLK_TCK);
  return real_ns - boot_ns + stat->start_ticks * (1'000'000'000LL / ticks_per_second);
}

absl::StatusOr<int> DifferingNamespaces(pid_t pid) {
  static const std::pair<const char*, int> kNamespaces[] = {
      {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
      {"cgroup", CLONE_NEWCGROUP}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}, {"time", CLONE_NEWTIME}};
  int flags = 0;
  for (const auto& [name, flag] : kNamespaces) {
    struct stat theirs{}, ours{};
    if (stat(absl::StrCat("/proc/", pid, "/ns/", name).c_str(), &theirs) != 0) {
      const int error = errno;
      return util::SystemCallErrorOf(absl::StatusCode::kFailedPrecondition, error,  // gone, as Gone()
                                     absl::StrCat("/proc/", pid, "/ns/", name));
    }
    if (stat(absl::StrCat("/proc/self/ns/", name).c_str(), &ours) != 0) {
      return util::SystemCallError("/proc/self/ns/", name);
    }
    if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) flags |= flag;
  }
  if (flags & CLONE_NEWTIME) return absl::UnimplementedError("the container has its own time namespace");
  return flags;
}

// The hierarchy of a /proc/<pid>/cgroup line's controller list ("" for cgroup2; v1: every
// controller listed, e.g. "cpu,cpuacct" or "name=systemd", is one of the hierarchy's).
const util::CgroupHierarchy* HierarchyOf(const std::vector<util::CgroupHierarchy>& hierarchies,
                                         absl::string_view controllers) {
  for (const util::CgroupHierarchy& hierarchy : hierarchies) {
    if (controllers.empty() != hierarchy.unified) continue;
    bool all = true;
    for (absl::string_view controller : absl::StrSplit(controllers, ',', absl::SkipEmpty())) {
      all = all && absl::c_linear_search(hierarchy.controllers, controller);
    }
    if (all) return &hierarchy;
  }
  return nullptr;
}

absl::StatusOr<std::vector<std::string>> CgroupProcs(pid_t pid) {
  absl::StatusOr<std::string> text = util::ReadFile(absl::StrCat("/proc/", pid, "/cgroup"));
  if (!text.ok()) return Gone(absl::StrCat("process ", pid, " is gone"));
  absl::StatusOr<std::vector<util::CgroupHierarchy>> hierarchies = util::MountedCgroupHierarchies();
  if (!hierarchies.ok()) return hierarchies.status();
  std::vector<std::string> procs;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3) return absl::InternalError(absl::StrCat("unreadable /proc/", pid, "/cgroup"));
    const util::CgroupHierarchy* hierarchy = HierarchyOf(*hierarchies, fields[1]);
    if (hierarchy == nullptr) return absl::UnimplementedError(absl::StrCat("cgroup hierarchy \"", fields[1], "\" is not mounted"));
    procs.push_back(absl::StrCat(hierarchy->mount_point, fields[2], fields[2] == "/" ? "" : "/", "cgroup.procs"));
  }
  return procs;
}

}  // namespace

absl::StatusOr<ContainerTarget> OpenContainerTarget(const std::string& bundle) {
  const std::string pid_file = bundle + "/pidfile";
  absl::StatusOr<std::string> text = util::ReadFile(pid_file);
  struct stat written{};
  ContainerTarget target;
  if (!text.ok() || stat(pid_file.c_str(), &written) != 0 || !absl::SimpleAtoi(*text, &target.pid) || target.pid <= 0) {
    return Gone(absl::StrCat("no container pid in ", pid_file));
  }
  target.pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, target.pid, 0)));
  if (!target.pidfd.valid()) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kFailedPrecondition, error,  // gone, as Gone()
                                   absl::StrCat("pidfd_open(", target.pid, ")"));
  }
  absl::StatusOr<int64_t> started = StartedAtRealtimeNs(target.pid);
  if (!started.ok()) return started.status();
  // Clock ticks are 10 ms: allow one.
  const int64_t written_ns = written.st_mtim.tv_sec * 1'000'000'000LL + written.st_mtim.tv_nsec;
  if (*started > written_ns + 10'000'000LL) {
    return Gone(absl::StrCat("process ", target.pid, " started after ", pid_file, " was written: not the container's init"));
  }
  absl::StatusOr<int> flags = DifferingNamespaces(target.pid);
  if (!flags.ok()) return flags.status();
  target.namespace_flags = *flags;
  absl::StatusOr<std::vector<std::string>> procs = CgroupProcs(target.pid);
  if (!procs.ok()) return procs.status();
  target.cgroup_procs = std::move(*procs);
  if (syscall(SYS_pidfd_send_signal, target.pidfd.get(), 0, nullptr, 0) != 0) {
    return Gone(absl::StrCat("process ", target.pid, " exited"));
  }
  return target;
}

}  // namespace cloison::monitor
