// What a direct ExecSync applies to the exec'd process, read from the container's spec (for
// linux: namespaces, seccomp, personality) and the exec's process.json (the container's
// process with the exec's args: what `runc exec --process` would apply). Parsing only.
// UNIMPLEMENTED for anything the direct path does not apply and the runtime would (a namespace
// type other than pid/network/mount/ipc/uts/user/cgroup, a seccomp listener or notify action,
// an unknown capability or rlimit, a terminal, no HOME in env, scheduler/ioPriority/
// personality/CPU affinity settings...): the caller then runs `<runtime> exec`.
// INVALID_ARGUMENT for a malformed document.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/monitor/seccomp_filter.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {

struct DirectExecPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  // Where args[0] is looked for, in order: args[0] itself when it holds a '/', else each
  // directory of the env's PATH (runc's default PATH when env has none) joined with it.
  std::vector<std::string> candidates;
  std::string cwd;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  std::optional<mode_t> umask;
  // Capability sets as bit masks (bit N = capability N).
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  std::vector<std::pair<int, rlimit>> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;
  std::string selinux_label;
  std::optional<SeccompFilter> seccomp;
};

// `spec` is the bundle's config.json, `process` the exec's process.json; `last_cap` is the
// host's /proc/sys/kernel/cap_last_cap (capabilities above it are left out, as runc does).
absl::StatusOr<DirectExecPlan> PlanDirectExec(const nlohmann::json& spec, const nlohmann::json& process,
                                              int last_cap);

}  // namespace cloison::monitor
