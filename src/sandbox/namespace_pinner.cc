#include "cloison/sandbox/namespace_pinner.h"

#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloison/sandbox/namespaced_sysctl.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/mount_point.h"
#include "cloison/util/unique_fd.h"

namespace cloison::sandbox {
namespace {

using util::UniqueFd;

// What the child reports once: the step that failed (kReady when all went well), errno, and
// for sysctl steps the index of the sysctl.
enum Step : int {
  kReady = 0,
  kUnshareUser,
  kBecomeRoot,
  kUnshare,
  kHostname,
  kLoopback,
  kSysctlOpen,
  kSysctlWrite
};
struct ChildReport {
  int step = kReady;
  int error = 0;
  int index = 0;
};

struct SysctlWrite {
  std::string key;
  std::string path;
  std::string value;
};

// Waits for the parent's byte (or end of file when the parent goes away).
void AwaitParent(int sock) {
  char byte;
  while (recv(sock, &byte, 1, 0) < 0 && errno == EINTR) {
  }
}

// Runs in the forked child of a multi-threaded process: async-signal-safe calls only, no
// allocation. With `user`, it first unshares the user namespace, reports, and waits until the
// parent has written its id maps. Reports through `sock` and waits there until the parent is
// done with the namespaces (a byte, or end of file when the parent goes away).
[[noreturn]] void RunChild(int sock, bool user, int flags, const std::string& hostname,
                           const std::vector<SysctlWrite>& sysctls) {
  ChildReport report;
  auto fail = [&](int step, int index) {
    report.step = step;
    report.error = errno;
    report.index = index;
  };
  auto send_report = [&] {
    if (send(sock, &report, sizeof(report), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(report))) _exit(1);
    AwaitParent(sock);
  };
  if (user) {
    if (unshare(CLONE_NEWUSER) != 0) fail(kUnshareUser, 0);
    send_report();
    if (report.step != kReady) _exit(0);
    // Raw syscalls: glibc's wrappers would try to reach other threads, which a forked child
    // of a multi-threaded process does not have.
    if (syscall(SYS_setresgid, 0, 0, 0) != 0 || syscall(SYS_setresuid, 0, 0, 0) != 0) {
      fail(kBecomeRoot, 0);
      send_report();
      _exit(0);
    }
  }
  if (flags != 0 && unshare(flags) != 0) {
    fail(kUnshare, 0);
  } else if (!hostname.empty() && sethostname(hostname.data(), hostname.size()) != 0) {
    fail(kHostname, 0);
  } else if ((flags & CLONE_NEWNET) != 0) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request {};
    std::memcpy(request.ifr_name, "lo", 3);
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
      fail(kLoopback, 0);
    } else {
      request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
      if (ioctl(fd, SIOCSIFFLAGS, &request) != 0) fail(kLoopback, 0);
    }
    if (fd >= 0) close(fd);
  }
  for (size_t i = 0; report.step == kReady && i < sysctls.size(); ++i) {
    const int index = static_cast<int>(i);
    const int fd = open(sysctls[i].path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      fail(kSysctlOpen, index);
      break;
    }
    const ssize_t written = write(fd, sysctls[i].value.data(), sysctls[i].value.size());
    if (written < 0) {
      fail(kSysctlWrite, index);
    } else if (static_cast<size_t>(written) != sysctls[i].value.size()) {
      errno = EIO;
      fail(kSysctlWrite, index);
    }
    close(fd);
  }
  send_report();
  _exit(0);
}

// The forked child, released (told to exit) and reaped when this goes out of scope.
class PinChild {
 public:
  PinChild(pid_t pid, UniqueFd sock) : pid_(pid), sock_(std::move(sock)) {}
  PinChild(const PinChild&) = delete;
  PinChild& operator=(const PinChild&) = delete;
  ~PinChild() {
    const char byte = 0;
    (void)send(sock_.get(), &byte, 1, MSG_NOSIGNAL);
    sock_.reset();
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

  pid_t pid() const { return pid_; }

  // Lets the child go on after a report.
  void Continue() const {
    const char byte = 0;
    (void)send(sock_.get(), &byte, 1, MSG_NOSIGNAL);
  }

  absl::StatusOr<ChildReport> ReadReport() const {
    ChildReport report;
    ssize_t n;
    while ((n = recv(sock_.get(), &report, sizeof(report), MSG_WAITALL)) < 0 && errno == EINTR) {
    }
    if (n < 0) {
      return util::SystemCallError("namespace child: recv");
    }
    if (n != static_cast<ssize_t>(sizeof(report))) {
      return absl::InternalError("namespace child exited without reporting");
    }
    return report;
  }

 private:
  pid_t pid_;
  UniqueFd sock_;
};

absl::Status ReportToStatus(const ChildReport& report, const PinRequest& request,
                            const std::vector<SysctlWrite>& sysctls) {
  switch (report.step) {
    case kReady:
      return absl::OkStatus();
    case kUnshareUser:
      return util::SystemCallErrorOf(report.error, "unshare the pod user namespace");
    case kBecomeRoot:
      return util::SystemCallErrorOf(report.error, "become root in the pod user namespace");
    case kUnshare:
      return util::SystemCallErrorOf(report.error, "unshare pod namespaces");
    case kHostname:
      return util::SystemCallErrorOf(absl::StatusCode::kInvalidArgument, report.error,
                                     absl::StrCat("hostname \"", request.hostname, "\": sethostname"));
    case kLoopback:
      return util::SystemCallErrorOf(report.error, "bring up lo in the pod network namespace");
    default:
      break;
  }
  const SysctlWrite& sysctl = sysctls[static_cast<size_t>(report.index)];
  const std::string field = absl::StrCat("linux.sysctls[\"", sysctl.key, "\"]: ");
  if (report.step == kSysctlOpen && report.error == ENOENT) {
    return absl::InvalidArgumentError(absl::StrCat(field, "no such sysctl (", sysctl.path, ")"));
  }
  if (report.step == kSysctlWrite && (report.error == EINVAL || report.error == ERANGE)) {
    return util::SystemCallErrorOf(absl::StatusCode::kInvalidArgument, report.error,
                                   absl::StrCat(field, "the kernel rejects value \"", sysctl.value, "\""));
  }
  return util::SystemCallErrorOf(report.error, absl::StrCat(field, "write ", sysctl.path));
}

// Creates `target` (0444, must not exist) and bind-mounts `source` onto it.
absl::Status BindNamespace(const std::string& source, const std::string& target) {
  UniqueFd fd(open(target.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd.valid()) {
    const int error = errno;
    const absl::Status status = util::SystemCallErrorOf(error, absl::StrCat("create ", target));
    return error == EEXIST ? absl::AlreadyExistsError(status.message()) : status;
  }
  fd.reset();
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    const absl::Status status = util::SystemCallError("bind-mount ", source, " on ", target);
    unlink(target.c_str());
    return status;
  }
  return absl::OkStatus();
}

absl::Status ValidateRequest(const PinRequest& request) {
  if (request.dir.empty() || request.dir.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace dir \"", request.dir, "\": not an absolute path"));
  }
  if (!request.hostname.empty() && !request.uts) {
    return absl::InvalidArgumentError("hostname: set without a new UTS namespace");
  }
  if (request.hostname.size() > HOST_NAME_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("hostname \"", request.hostname, "\": longer than ", HOST_NAME_MAX, " bytes"));
  }
  if (request.user && (request.uid_map.empty() || request.gid_map.empty())) {
    return absl::InvalidArgumentError("user namespace: uid_map and gid_map are required");
  }
  return absl::OkStatus();
}

// Creates the directory of the pins, and its parents, when missing.
absl::Status MakePinDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("create ", dir, ": ", error.message()));
  return absl::OkStatus();
}

// Writes `text` into /proc/<pid>/<file> in one write, as the kernel requires.
absl::Status WriteIdMap(pid_t pid, const char* file, const std::string& text) {
  const std::string path = absl::StrCat("/proc/", pid, "/", file);
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return util::SystemCallError("open ", path);
  const ssize_t written = write(fd.get(), text.data(), text.size());
  if (written < 0) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kInvalidArgument, error,
                                   absl::StrCat("write ", path, " (\"", text, "\")"));
  }
  if (written != static_cast<ssize_t>(text.size())) {
    return absl::InvalidArgumentError(absl::StrCat("write ", path, " (\"", text, "\"): short write"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PinnedNamespaces> PinNamespaces(const PinRequest& request) {
  if (absl::Status valid = ValidateRequest(request); !valid.ok()) return valid;
  const OwnNamespaces own{request.network, request.ipc, request.uts};
  std::vector<SysctlWrite> sysctls;
  for (const auto& [key, value] : request.sysctls) {
    absl::StatusOr<std::string> path = NamespacedSysctlPath(key, own);
    if (!path.ok()) return path.status();
    sysctls.push_back({key, *std::move(path), value});
  }
  const int flags = (request.network ? CLONE_NEWNET : 0) | (request.ipc ? CLONE_NEWIPC : 0) |
                    (request.uts ? CLONE_NEWUTS : 0);
  if (flags == 0 && !request.user) return PinnedNamespaces{};

  if (absl::Status status = MakePinDir(request.dir); !status.ok()) return status;

  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    return util::SystemCallError("socketpair");
  }
  UniqueFd parent_end(sockets[0]);
  UniqueFd child_end(sockets[1]);
  const pid_t pid = fork();
  if (pid < 0) return util::SystemCallError("fork");
  if (pid == 0) {
    close(parent_end.release());
    // None of cloisond's other descriptors stays open while the child waits (a monitor's
    // liveness lock that another thread is handing over among them).
    const int sock = child_end.get();
    if (sock > 3) close_range(3, static_cast<unsigned>(sock) - 1, 0);
    close_range(static_cast<unsigned>(sock) + 1, ~0U, 0);
    RunChild(sock, request.user, flags, request.hostname, sysctls);
  }
  child_end.reset();
  const PinChild child(pid, std::move(parent_end));

  if (request.user) {
    absl::StatusOr<ChildReport> unshared = child.ReadReport();
    if (!unshared.ok()) return unshared.status();
    if (absl::Status status = ReportToStatus(*unshared, request, sysctls); !status.ok()) return status;
    for (const auto& [file, text] : {std::pair<const char*, const std::string*>{"uid_map", &request.uid_map},
                                     {"gid_map", &request.gid_map}}) {
      if (absl::Status status = WriteIdMap(child.pid(), file, *text); !status.ok()) return status;
    }
    child.Continue();
  }
  absl::StatusOr<ChildReport> report = child.ReadReport();
  if (!report.ok()) return report.status();
  if (absl::Status status = ReportToStatus(*report, request, sysctls); !status.ok()) return status;

  PinnedNamespaces pinned;
  const std::string proc = absl::StrCat("/proc/", child.pid(), "/ns/");
  const struct {
    bool wanted;
    const char* name;
    std::string* path;
  } pins[] = {{request.network, "net", &pinned.network},
              {request.ipc, "ipc", &pinned.ipc},
              {request.uts, "uts", &pinned.uts},
              {request.user, "user", &pinned.user}};
  for (const auto& pin : pins) {
    if (!pin.wanted) continue;
    const std::string target = (std::filesystem::path(request.dir) / pin.name).string();
    if (absl::Status status = BindNamespace(proc + pin.name, target); !status.ok()) {
      (void)UnpinNamespaces(pinned);
      return status;
    }
    *pin.path = target;
  }
  return pinned;
}

absl::StatusOr<std::string> PinPidNamespace(int pid, const std::string& dir) {
  if (absl::Status status = MakePinDir(dir); !status.ok()) return status;
  const std::string target = (std::filesystem::path(dir) / "pid").string();
  if (absl::Status status = BindNamespace(absl::StrCat("/proc/", pid, "/ns/pid"), target); !status.ok()) return status;
  return target;
}

absl::Status UnpinNamespaces(const PinnedNamespaces& pinned) {
  absl::Status result;
  for (const std::string* path : {&pinned.network, &pinned.ipc, &pinned.uts, &pinned.user, &pinned.pid}) {
    if (path->empty()) continue;
    absl::Status status = util::DetachMounts(*path);
    if (status.ok() && unlink(path->c_str()) != 0 && errno != ENOENT) {
      status = util::SystemCallError("remove ", *path);
    }
    result.Update(status);
  }
  return result;
}

}  // namespace cloison::sandbox
