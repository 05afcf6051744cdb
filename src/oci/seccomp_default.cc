#include "cloison/oci/seccomp_default.h"

#include <algorithm>
#include <cstdint>

namespace cloison::oci {
namespace {

using nlohmann::json;

constexpr int kEperm = 1;
constexpr int kEnosys = 38;
constexpr uint64_t kAfVsock = 40;
// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
// CLONE_NEWNET: the clone flags that create namespaces.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

// Harmless for any process: files, memory, processes and threads, signals, time, polling,
// sockets and System V / POSIX IPC. Variants that exist on one ABI only (the *32 ids, the
// *64 file calls, socketcall, the time64 calls) are listed too; the names an architecture does
// not have are dropped when the profile is resolved.
const std::vector<std::string>& AlwaysAllowed() {
  static const std::vector<std::string> kNames = {
      // files and directories
      "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range",
      "creat", "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
      "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
      "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fremovexattr",
      "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
      "ftruncate64", "futimesat", "getcwd", "getdents", "getdents64", "getxattr", "lchown",
      "lchown32", "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr",
      "lseek", "_llseek", "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat", "mknod", "mknodat",
      "newfstatat", "open", "openat", "openat2", "pipe", "pipe2", "pread64", "preadv", "preadv2",
      "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
      "removexattr", "rename", "renameat", "renameat2", "rmdir", "sendfile", "sendfile64",
      "setxattr", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
      "symlinkat", "sync", "sync_file_range", "syncfs", "tee", "truncate", "truncate64", "umask",
      "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vmsplice",
      "write", "writev", "ioctl", "memfd_create", "inotify_add_watch", "inotify_init",
      "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
      "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioprio_get",
      "ioprio_set", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
      // memory
      "brk", "madvise", "membarrier", "mincore", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
      "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free",
      "pkey_mprotect", "remap_file_pages", "process_mrelease",
      // processes, threads, credentials, scheduling
      "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork",
      "get_robust_list", "set_robust_list", "get_thread_area", "set_thread_area",
      "set_tid_address", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
      "getgroups", "getgroups32", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
      "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "ugetrlimit",
      "getrusage", "getsid", "gettid", "getuid", "getuid32", "setfsgid", "setfsgid32",
      "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setpgid",
      "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
      "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid", "setuid", "setuid32",
      "prctl", "prlimit64", "rseq", "sched_get_priority_max", "sched_get_priority_min",
      "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
      "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "wait4", "waitid",
      "waitpid", "futex", "futex_time64", "futex_waitv", "kill", "tgkill", "tkill", "pidfd_open",
      "pidfd_send_signal", "uname", "sysinfo", "times", "getrandom", "getcpu", "seccomp",
      "restart_syscall",
      // signals
      "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
      "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
      "rt_tgsigqueueinfo", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
      // time (reading clocks; adjtimex only reads without CAP_SYS_TIME)
      "adjtimex", "alarm", "clock_adjtime", "clock_adjtime64", "clock_getres",
      "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
      "clock_nanosleep_time64", "getitimer", "setitimer", "gettimeofday", "nanosleep", "time",
      "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
      "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
      "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
      // waiting for events
      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
      "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll",
      "ppoll_time64", "pselect6", "pselect6_time64", "select", "_newselect",
      // sockets (socket itself is conditional, see below)
      "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
      "listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg",
      "sendmsg", "sendto", "setsockopt", "shutdown", "socketcall", "socketpair",
      // System V and POSIX IPC (the pod's IPC namespace bounds them)
      "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
      "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl",
      "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
      "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
  };
  return kNames;
}

// Syscalls whose only use is what a capability grants; allowed when the process holds it.
struct CapabilityGate {
  const char* capability;
  std::vector<std::string> names;
};

const std::vector<CapabilityGate>& CapabilityGated() {
  static const std::vector<CapabilityGate> kGates = {
      {"CAP_SYS_ADMIN",
       {"mount", "mount_setattr", "umount", "umount2", "move_mount", "open_tree", "fsopen",
        "fsconfig", "fsmount", "fspick", "unshare", "setns", "sethostname", "setdomainname",
        "quotactl", "quotactl_fd", "lookup_dcookie", "fanotify_init", "name_to_handle_at",
        "perf_event_open", "bpf", "syslog", "clone", "clone3"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYS_CHROOT", {"chroot"}},
      {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_SYS_PTRACE",
       {"ptrace", "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
        "process_vm_writev"}},
      {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
      {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
      {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
      {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
  };
  return kGates;
}

json Allow(std::vector<std::string> names) {
  return {{"names", std::move(names)}, {"action", "SCMP_ACT_ALLOW"}};
}

json Arg(unsigned index, uint64_t value, const char* op, uint64_t value_two = 0) {
  return {{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

// Per-ABI calls of the architectures this build runs on.
std::vector<std::string> ArchitectureCalls() {
#if defined(__x86_64__) || defined(__i386__)
  return {"arch_prctl", "modify_ldt"};
#elif defined(__aarch64__) || defined(__arm__)
  return {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
          "cacheflush", "set_tls"};
#else
  return {};
#endif
}

}  // namespace

std::vector<std::string> NativeSeccompArchitectures() {
#if defined(__x86_64__)
  return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__i386__)
  return {"SCMP_ARCH_X86"};
#elif defined(__aarch64__)
  return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#elif defined(__arm__)
  return {"SCMP_ARCH_ARM"};
#else
  return {};  // the runtime's native architecture only
#endif
}

json DefaultSeccompProfile(const std::vector<std::string>& capabilities) {
  auto holds = [&](const std::string& cap) {
    return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
  };
  json syscalls = json::array();
  syscalls.push_back(Allow(AlwaysAllowed()));
  if (std::vector<std::string> arch = ArchitectureCalls(); !arch.empty()) {
    syscalls.push_back(Allow(std::move(arch)));
  }
  // personality: PER_LINUX, PER_LINUX32 and their UNAME26 variants, and 0xffffffff (a query);
  // never flags such as ADDR_NO_RANDOMIZE.
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    json rule = Allow({"personality"});
    rule["args"] = json::array({Arg(0, persona, "SCMP_CMP_EQ")});
    syscalls.push_back(std::move(rule));
  }
  json socket = Allow({"socket"});
  socket["args"] = json::array({Arg(0, kAfVsock, "SCMP_CMP_NE")});
  syscalls.push_back(std::move(socket));

  std::vector<std::string> gated;
  for (const CapabilityGate& gate : CapabilityGated()) {
    if (!holds(gate.capability)) continue;
    for (const std::string& name : gate.names) {
      if (std::find(gated.begin(), gated.end(), name) == gated.end()) gated.push_back(name);
    }
  }
  if (!holds("CAP_SYS_ADMIN")) {
    json clone = Allow({"clone"});
    clone["args"] = json::array({Arg(0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ", 0)});
    syscalls.push_back(std::move(clone));
    syscalls.push_back(
        {{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEnosys}});
  }
  if (!gated.empty()) syscalls.push_back(Allow(std::move(gated)));

  return {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", kEperm},
      {"architectures", NativeSeccompArchitectures()},
      {"syscalls", std::move(syscalls)},
  };
}

}  // namespace cloison::oci
