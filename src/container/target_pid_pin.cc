#include "cloison/container/target_pid_pin.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/sandbox/namespace_pinner.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"

namespace cloison::container {
namespace {

bool SameFile(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

std::string PinDir(const std::string& state_dir) { return state_dir + "/ns"; }

}  // namespace

absl::StatusOr<std::string> PinTargetPidNamespace(const PidNamespaceTarget& target, const std::string& state_dir,
                                                  absl::string_view field) {
  const auto refuse = [&](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": container ", target.container_id, " ", why));
  };
  // Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link it.
  const util::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, target.pid, 0)));
  if (!pidfd.valid()) {
    if (errno == ESRCH) return refuse("is not running");
    return util::SystemCallError("pidfd_open(", target.pid, ")");
  }
  // From here on, what /proc/<pid> shows is the pidfd's process's as long as that one lives: its
  // pid cannot be taken over before it is reaped.
  const std::string proc_ns = absl::StrCat("/proc/", target.pid, "/ns/pid");
  struct stat theirs {}, ours {};
  if (stat(proc_ns.c_str(), &theirs) != 0) return refuse("is not running");
  if (stat("/proc/self/ns/pid", &ours) != 0) return util::SystemCallError("stat /proc/self/ns/pid");
  if (SameFile(theirs, ours)) {
    return refuse(absl::StrCat("runs in cloisond's own PID namespace, the host's (its process ", target.pid,
                               " is not in a PID namespace of its own): TARGET cannot share it"));
  }
  absl::StatusOr<std::string> cgroups = util::ReadFile(absl::StrCat("/proc/", target.pid, "/cgroup"));
  if (!cgroups.ok()) return refuse("is not running");
  if (!absl::StrContains(*cgroups, target.container_id)) {
    return refuse(absl::StrCat("is not running: its pid ", target.pid, " is another process's now"));
  }

  absl::StatusOr<std::string> pin = sandbox::PinPidNamespace(target.pid, PinDir(state_dir));
  if (!pin.ok()) return pin.status();
  struct stat pinned {};
  absl::Status verified;
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), 0, nullptr, 0) != 0) {
    verified = refuse("exited while its PID namespace was being pinned");
  } else if (stat(pin->c_str(), &pinned) != 0) {
    verified = util::SystemCallError("stat ", *pin);
  } else if (!SameFile(pinned, theirs)) {
    verified = refuse(absl::StrCat("is not running: ", *pin, " is not the PID namespace it ran in"));
  }
  if (!verified.ok()) {
    (void)UnpinTargetPidNamespace(state_dir);
    return verified;
  }
  return pin;
}

absl::Status UnpinTargetPidNamespace(const std::string& state_dir) {
  sandbox::PinnedNamespaces pinned;
  pinned.pid = PinDir(state_dir) + "/pid";
  return sandbox::UnpinNamespaces(pinned);
}

}  // namespace cloison::container
