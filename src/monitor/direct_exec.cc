#include "cloison/monitor/direct_exec.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloison/monitor/container_target.h"
#include "cloison/monitor/direct_exec_plan.h"
#include "cloison/monitor/process.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_file.h"
#include "cloison/util/sealed_executable.h"
#include "cloison/util/unique_fd.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

// Reports why the child could not run the command on the error pipe and exits.
[[noreturn]] void Fail(int error_fd, const char* step, int error) {
  const std::string message = absl::StrCat(step, ": ", std::strerror(error));
  [[maybe_unused]] const ssize_t n = write(error_fd, message.data(), message.size());
  _exit(127);
}

bool WriteString(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::signal(signal, SIG_DFL);
  }
}

void DropBoundingSet(const DirectExecPlan& plan, int last_cap, int error_fd) {
  for (int cap = 0; cap <= last_cap; ++cap) {
    if ((plan.bounding >> cap) & 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) Fail(error_fd, "dropping from the bounding set", errno);
  }
}

void SetUser(const DirectExecPlan& plan, int error_fd) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Fail(error_fd, "PR_SET_KEEPCAPS", errno);
  // In a user namespace whose setgroups is "deny", runc leaves the groups alone.
  absl::StatusOr<std::string> setgroups = util::ReadFile("/proc/self/setgroups");
  if (!setgroups.ok() || absl::StripAsciiWhitespace(*setgroups) != "deny") {
    if (::setgroups(plan.additional_gids.size(), plan.additional_gids.data()) != 0) Fail(error_fd, "setgroups", errno);
  }
  if (setresgid(plan.gid, plan.gid, plan.gid) != 0) Fail(error_fd, "setresgid", errno);
  if (setresuid(plan.uid, plan.uid, plan.uid) != 0) Fail(error_fd, "setresuid", errno);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Fail(error_fd, "PR_SET_KEEPCAPS", errno);
}

void SetCapabilities(const DirectExecPlan& plan, int error_fd) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(plan.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(plan.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(plan.inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) != 0) Fail(error_fd, "capset", errno);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int cap = 0; cap < 64; ++cap) {
    // As runc: an ambient capability that cannot be raised is left out.
    if ((plan.ambient >> cap) & 1) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
}

void SetAppArmorProfile(const std::string& profile, int error_fd) {
  const std::string text = absl::StrCat("exec ", profile);
  if (!WriteString("/proc/self/attr/apparmor/exec", text) && !WriteString("/proc/self/attr/exec", text)) {
    Fail(error_fd, "setting the AppArmor profile", errno);
  }
}

void LoadSeccomp(const DirectExecPlan& plan, int error_fd) {
  if (const int rc = plan.seccomp->Load(); rc != 0) Fail(error_fd, "loading the seccomp filter", -rc);
}

// The exec'd process, from the clone in the container's namespaces to execve. argv and envp
// are built first: once the seccomp filter is loaded, execve is the only call left to make.
[[noreturn]] void BecomeCommand(const DirectExecPlan& plan, const MonitorOptions& options, int last_cap,
                                const int stdio[3], int error_fd) {
  std::vector<char*> argv, envp;
  for (const std::string& arg : plan.args) argv.push_back(const_cast<char*>(arg.c_str()));
  for (const std::string& entry : plan.env) envp.push_back(const_cast<char*>(entry.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  ResetSignals();
  for (int target = 0; target < 3; ++target) {
    if (dup2(stdio[target], target) < 0) Fail(error_fd, "dup2", errno);
  }
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) Fail(error_fd, "close_range", errno);
  const std::string keyring = absl::StrCat("_ses.", options.id);
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, keyring.c_str()) < 0 && errno != ENOSYS) {
    Fail(error_fd, "joining the session keyring", errno);
  }
  if (plan.oom_score_adj && !WriteString("/proc/self/oom_score_adj", std::to_string(*plan.oom_score_adj))) {
    Fail(error_fd, "writing oom_score_adj", errno);
  }
  for (const auto& [resource, limit] : plan.rlimits) {
    if (setrlimit(static_cast<__rlimit_resource>(resource), &limit) != 0) Fail(error_fd, "setrlimit", errno);
  }
  if (plan.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(error_fd, "PR_SET_NO_NEW_PRIVS", errno);
  if (!plan.selinux_label.empty() && !WriteString("/proc/self/attr/exec", plan.selinux_label)) {
    Fail(error_fd, "setting the SELinux label", errno);
  }
  if (plan.seccomp && !plan.no_new_privileges) LoadSeccomp(plan, error_fd);
  DropBoundingSet(plan, last_cap, error_fd);
  SetUser(plan, error_fd);
  if (plan.umask) umask(*plan.umask);
  if (chdir(plan.cwd.c_str()) != 0) Fail(error_fd, "chdir to process.cwd", errno);
  SetCapabilities(plan, error_fd);
  if (!plan.apparmor_profile.empty()) SetAppArmorProfile(plan.apparmor_profile, error_fd);
  if (plan.seccomp && plan.no_new_privileges) LoadSeccomp(plan, error_fd);
  int error = ENOENT;
  for (const std::string& candidate : plan.candidates) {
    execve(candidate.c_str(), argv.data(), envp.data());
    if (errno != ENOENT && errno != EACCES && errno != ENOTDIR) Fail(error_fd, "execve", errno);
    if (errno == EACCES) error = EACCES;
  }
  Fail(error_fd, "looking up process.args[0]", error);
}

// The joiner: enters the container's cgroups and namespaces, clones the command's process as a
// sibling and writes its pid on `pid_fd`.
[[noreturn]] void JoinAndClone(const DirectExecPlan& plan, const ContainerTarget& target, const MonitorOptions& options,
                               int last_cap, const int stdio[3], int pid_fd, int error_fd) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) Fail(error_fd, "PR_SET_DUMPABLE", errno);
  for (const std::string& procs : target.cgroup_procs) {
    if (!WriteString(procs, "0")) Fail(error_fd, procs.c_str(), errno);
  }
  if (target.namespace_flags != 0 && setns(target.pidfd.get(), target.namespace_flags) != 0) {
    Fail(error_fd, "setns", errno);
  }
  const long child = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (child < 0) Fail(error_fd, "clone", errno);
  if (child == 0) BecomeCommand(plan, options, last_cap, stdio, error_fd);
  const pid_t pid = static_cast<pid_t>(child);
  _exit(write(pid_fd, &pid, sizeof(pid)) == sizeof(pid) ? 0 : 1);
}

int LastCapability() {
  absl::StatusOr<std::string> text = util::ReadFile("/proc/sys/kernel/cap_last_cap");
  int last = 0;
  return text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &last) ? last : CAP_LAST_CAP;
}

absl::StatusOr<DirectExecPlan> Plan(const MonitorOptions& options, int last_cap) {
  absl::StatusOr<nlohmann::json> spec = util::ReadJsonObjectFile(options.bundle + "/config.json");
  if (!spec.ok()) return spec.status();
  absl::StatusOr<nlohmann::json> process = util::ReadJsonObjectFile(options.process_spec);
  if (!process.ok()) return process.status();
  try {
    return PlanDirectExec(*spec, *process, last_cap);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("reading the spec: ", e.what()));
  }
}

// Whether /proc/self/exe is a memfd sealed as util/sealed_executable.h seals its copies.
bool RunningFromSealedMemfd() {
  const util::UniqueFd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  return self.valid() && util::HasExecutableSeals(self.get());
}

}  // namespace

absl::StatusOr<pid_t> StartDirectExec(const MonitorOptions& options, int stdout_fd, int stderr_fd) {
  if (!RunningFromSealedMemfd()) return absl::FailedPreconditionError("the monitor does not run from a sealed memfd");
  const int last_cap = LastCapability();
  absl::StatusOr<DirectExecPlan> plan = Plan(options, last_cap);
  if (!plan.ok()) return plan.status();
  absl::StatusOr<ContainerTarget> target = OpenContainerTarget(options.bundle);
  if (!target.ok()) return target.status();
  util::UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_fd.valid()) return util::SystemCallError("/dev/null");
  absl::StatusOr<Pipe> pid_pipe = MakePipe();
  if (!pid_pipe.ok()) return pid_pipe.status();
  absl::StatusOr<Pipe> error_pipe = MakePipe();
  if (!error_pipe.ok()) return error_pipe.status();
  const int stdio[3] = {null_fd.get(), stdout_fd, stderr_fd};

  const pid_t joiner = fork();
  if (joiner < 0) return util::SystemCallError("fork");
  if (joiner == 0) {
    JoinAndClone(*plan, *target, options, last_cap, stdio, pid_pipe->write.get(), error_pipe->write.get());
  }
  pid_pipe->write.reset();
  error_pipe->write.reset();
  pid_t command = 0;
  ssize_t got = 0;
  while ((got = read(pid_pipe->read.get(), &command, sizeof(command))) < 0 && errno == EINTR) {
  }
  while (waitpid(joiner, nullptr, 0) < 0 && errno == EINTR) {
  }
  // EOF without a message once the command's execve closed the last write end: it runs.
  std::string failure;
  char buffer[512];
  ssize_t n = 0;
  while ((n = read(error_pipe->read.get(), buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    failure.append(buffer, static_cast<size_t>(n));
  }
  if (failure.empty() && got == sizeof(command) && command > 0) return command;
  if (got == sizeof(command) && command > 0) {
    while (waitpid(command, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  return absl::FailedPreconditionError(absl::StrCat("direct exec failed before the command ran: ",
                                                    failure.empty() ? "the joiner died" : failure));
}

}  // namespace cloison::monitor
