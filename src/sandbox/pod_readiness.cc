#include "cloison/sandbox/pod_readiness.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "absl/strings/str_cat.h"
#include "cloison/util/logging.h"

namespace cloison::sandbox {
namespace {

namespace v1 = ::runtime::v1;

constexpr char kPidNamespaceUnpinned[] =
    "its shared PID namespace is not pinned (the pod was made by an older cloisond)";

bool IsNamespaceFile(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == static_cast<decltype(fs.f_type)>(NSFS_MAGIC);
}

}  // namespace

bool SharesPidNamespace(const SandboxRecord& record) {
  return !record.host_pid &&
         record.config.linux().security_context().namespace_options().pid() == v1::NamespaceMode::POD;
}

std::string MissingWall(const SandboxRecord& record) {
  if (!record.infra_container_id.empty() && !record.infra_running) return "its infra container is not running";
  const struct {
    const char* name;
    const std::string& path;
  } pins[] = {{"network", record.netns_path}, {"IPC", record.ipcns_path}, {"UTS", record.utsns_path},
              {"user", record.userns_path},   {"PID", record.pidns_path}};
  for (const auto& pin : pins) {
    if (!pin.path.empty() && !IsNamespaceFile(pin.path)) {
      return absl::StrCat("its pinned ", pin.name, " namespace ", pin.path, " is gone");
    }
  }
  if (SharesPidNamespace(record) && record.pidns_path.empty()) {
    return kPidNamespaceUnpinned;
  }
  return "";
}

bool DemoteIfWallMissing(SandboxRecord& record, DemotionCause cause) {
  if (record.state != SandboxState::kReady) return false;
  const std::string missing = MissingWall(record);
  if (missing.empty()) return false;
  if (cause == DemotionCause::kStopping) {
    spdlog::info("pod sandbox {} is stopping: {}", record.id, missing);
  } else {
    spdlog::warn("pod sandbox {} is not ready: {}", record.id, missing);
  }
  record.state = SandboxState::kNotReady;
  return true;
}

absl::StatusOr<std::string> SharedPidNamespace(const SandboxRecord& record) {
  const auto refuse = [&](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat("pod_sandbox_id: pod sandbox ", record.id, ": ", why));
  };
  if (record.infra_container_id.empty() || !record.infra_running || record.infra_pid <= 0) {
    return refuse("its infra container, whose PID namespace the pod shares, is not running");
  }
  if (record.pidns_path.empty()) return refuse(kPidNamespaceUnpinned);
  struct stat pinned {};
  if (stat(record.pidns_path.c_str(), &pinned) != 0 || !IsNamespaceFile(record.pidns_path)) {
    return refuse(absl::StrCat("its pinned PID namespace ", record.pidns_path, " is gone"));
  }
  struct stat infra {};
  const std::string infra_ns = absl::StrCat("/proc/", record.infra_pid, "/ns/pid");
  if (stat(infra_ns.c_str(), &infra) != 0 || infra.st_dev != pinned.st_dev || infra.st_ino != pinned.st_ino) {
    return refuse(absl::StrCat("its infra container (pid ", record.infra_pid,
                               ") no longer runs in the pod's PID namespace"));
  }
  return record.pidns_path;
}

}  // namespace cloison::sandbox
