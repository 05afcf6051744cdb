#include "cloison/monitor/container_target.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"

namespace cloison::monitor {
namespace {

absl::Status Gone(const std::string& what) { return absl::FailedPreconditionError(what); }

// When the process started, in nanoseconds of CLOCK_REALTIME (field 22 of /proc/<pid>/stat,
// clock ticks since boot).
absl::StatusOr<int64_t> StartedAtRealtimeNs(pid_t pid) {
  absl::StatusOr<std::string> stat = util::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return Gone(absl::StrCat("process ", pid, " is gone"));
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return absl::InternalError("unreadable /proc/<pid>/stat");
  const std::vector<absl::string_view> fields = absl::StrSplit(absl::string_view(*stat).substr(paren + 2), ' ');
  int64_t ticks = 0;
  // Fields after "(comm)" start at field 3 (state): starttime (22) is at index 19.
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &ticks)) return absl::InternalError("unreadable /proc/<pid>/stat");
  timespec boot{}, real{};
  clock_gettime(CLOCK_BOOTTIME, &boot);
  clock_gettime(CLOCK_REALTIME, &real);
  const int64_t boot_ns = boot.tv_sec * 1'000'000'000LL + boot.tv_nsec;
  const int64_t real_ns = real.tv_sec * 1'000'000'000LL + real.tv_nsec;
  const int64_t ticks_per_second = sysconf(_SC_CLK_TCK);
  return real_ns - boot_ns + ticks * (1'000'000'000LL / ticks_per_second);
}

absl::StatusOr<int> DifferingNamespaces(pid_t pid) {
  static const std::pair<const char*, int> kNamespaces[] = {
      {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
      {"cgroup", CLONE_NEWCGROUP}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}, {"time", CLONE_NEWTIME}};
  int flags = 0;
  for (const auto& [name, flag] : kNamespaces) {
    struct stat theirs{}, ours{};
    if (stat(absl::StrCat("/proc/", pid, "/ns/", name).c_str(), &theirs) != 0) {
      return Gone(absl::StrCat("/proc/", pid, "/ns/", name, ": ", std::strerror(errno)));
    }
    if (stat(absl::StrCat("/proc/self/ns/", name).c_str(), &ours) != 0) {
      return absl::InternalError(absl::StrCat("/proc/self/ns/", name, ": ", std::strerror(errno)));
    }
    if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) flags |= flag;
  }
  if (flags & CLONE_NEWTIME) return absl::UnimplementedError("the container has its own time namespace");
  return flags;
}

// Mount points of the cgroup hierarchies: "" for cgroup2, else the comma-joined controllers
// and names ("cpu,cpuacct", "name=systemd") from the super options.
std::map<std::string, std::string> CgroupMounts() {
  std::map<std::string, std::string> mounts;
  absl::StatusOr<std::string> info = util::ReadFile("/proc/self/mountinfo");
  if (!info.ok()) return mounts;
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    const std::vector<absl::string_view> halves = absl::StrSplit(line, " - ");
    if (halves.size() != 2) continue;
    const std::vector<absl::string_view> left = absl::StrSplit(halves[0], ' ');
    const std::vector<absl::string_view> right = absl::StrSplit(halves[1], ' ');
    if (left.size() < 5 || right.size() < 3 || left[3] != "/") continue;
    if (right[0] == "cgroup2") {
      mounts.emplace("", std::string(left[4]));
    } else if (right[0] == "cgroup") {
      std::set<std::string> options;
      for (absl::string_view option : absl::StrSplit(right[2], ',')) options.emplace(option);
      mounts.emplace(absl::StrJoin(options, ","), std::string(left[4]));
    }
  }
  return mounts;
}

absl::StatusOr<std::vector<std::string>> CgroupProcs(pid_t pid) {
  absl::StatusOr<std::string> text = util::ReadFile(absl::StrCat("/proc/", pid, "/cgroup"));
  if (!text.ok()) return Gone(absl::StrCat("process ", pid, " is gone"));
  const std::map<std::string, std::string> mounts = CgroupMounts();
  std::vector<std::string> procs;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3) return absl::InternalError(absl::StrCat("unreadable /proc/", pid, "/cgroup"));
    std::string key;
    if (!fields[1].empty()) {
      // A v1 hierarchy is matched by its controllers among the mount's super options.
      for (const auto& [options, mount] : mounts) {
        if (options.empty()) continue;
        const std::set<std::string> have = absl::StrSplit(options, ',');
        bool all = true;
        for (absl::string_view controller : absl::StrSplit(fields[1], ',')) all = all && have.count(std::string(controller)) > 0;
        if (all) key = options;
      }
      if (key.empty()) return absl::UnimplementedError(absl::StrCat("cgroup hierarchy ", fields[1], " is not mounted"));
    }
    const auto mount = mounts.find(key);
    if (mount == mounts.end()) return absl::UnimplementedError(absl::StrCat("cgroup hierarchy \"", fields[1], "\" is not mounted"));
    procs.push_back(absl::StrCat(mount->second, fields[2], fields[2] == "/" ? "" : "/", "cgroup.procs"));
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
  if (!target.pidfd.valid()) return Gone(absl::StrCat("pidfd_open(", target.pid, "): ", std::strerror(errno)));
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
