#include "cloison/runtime/monitor_settling.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cloison/runtime/monitor_launch.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/liveness_lock.h"
#include "cloison/util/logging.h"
#include "cloison/util/pid_file.h"
#include "cloison/util/proc_stat.h"

namespace cloison::runtime {
namespace {

constexpr absl::Duration kSettleRecheck = absl::Milliseconds(20);
// A SIGKILLed monitor ends within a millisecond or so; RemoveContainer waits for it.
constexpr absl::Duration kKilledRecheck = absl::Milliseconds(1);

// A monitor is alive when its pid runs cloison-monitor and is not a zombie waiting for a
// slow init to reap it.
bool MonitorAlive(int pid) {
  if (pid <= 0) return false;
  absl::StatusOr<std::string> cmdline = util::ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
  if (!cmdline.ok() || !absl::StrContains(*cmdline, "cloison-monitor")) return false;
  absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(pid);
  return stat.ok() && !stat->Exited();
}

}  // namespace

bool MonitorLives(const std::string& state_dir, int monitor_pid) {
  absl::StatusOr<util::LockState> lock = util::ProbeLivenessLock(MonitorLockPath(state_dir));
  if (lock.ok() && *lock != util::LockState::kAbsent) return *lock == util::LockState::kHeld;
  return MonitorAlive(monitor_pid);
}

MonitorSettling SettleMonitor(const std::string& state_dir, absl::Time deadline) {
  while (true) {
    MonitorSettling settling;
    settling.monitor_pid = util::ReadPidFile(state_dir + "/monitor.pid");
    // Its liveness before the pidfile: a monitor seen gone had written the pidfile, if ever, before.
    const bool lives = MonitorLives(state_dir, settling.monitor_pid);
    settling.pid = util::ReadPidFile(state_dir + "/pidfile");
    if (settling.pid > 0) {
      settling.outcome = MonitorSettling::kMade;
      return settling;
    }
    if (!lives) return settling;
    if (absl::Now() >= deadline) {
      settling.outcome = MonitorSettling::kUnderWay;
      return settling;
    }
    absl::SleepFor(kSettleRecheck);
  }
}

void SettleBeforeDelete(const std::string& state_dir, absl::Time deadline, absl::string_view subject) {
  if (SettleMonitor(state_dir, deadline).outcome != MonitorSettling::kUnderWay) return;
  spdlog::warn("{}: its monitor still lives at the recovery deadline without the runtime's pidfile (still "
               "creating the container?); deleting it anyway",
               subject);
}

void KillMonitor(const std::string& state_dir, const std::string& id) {
  const int pid = util::ReadPidFile(state_dir + "/monitor.pid");
  if (pid <= 0 || !MonitorLives(state_dir, pid)) return;
  // The arguments "--id" and `id`, as /proc separates them.
  std::string id_flag = "--id";
  id_flag.push_back('\0');
  id_flag.append(id).push_back('\0');
  absl::StatusOr<std::string> cmdline = util::ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
  if (!cmdline.ok() || !absl::StrContains(*cmdline, "cloison-monitor") || !absl::StrContains(*cmdline, id_flag)) {
    return;
  }
  kill(pid, SIGKILL);
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (MonitorAlive(pid) && absl::Now() < deadline) absl::SleepFor(kKilledRecheck);
}

void RemoveExitFiles(const std::string& exit_file) {
  unlink(exit_file.c_str());
  const std::filesystem::path path(exit_file);
  const std::string temporary_prefix = path.filename().string() + ".tmp-";
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(path.parent_path().string());
  if (!entries.ok()) return;
  for (const util::DirectoryEntry& entry : *entries) {
    if (absl::StartsWith(entry.name, temporary_prefix)) unlink((path.parent_path() / entry.name).c_str());
  }
}

}  // namespace cloison::runtime
