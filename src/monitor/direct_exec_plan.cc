#include "cloison/monitor/direct_exec_plan.h"

#include <climits>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/process_limits.h"

namespace cloison::monitor {
namespace {

using nlohmann::json;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

absl::Status Unsupported(const std::string& what) { return absl::UnimplementedError(what); }

absl::StatusOr<int> CapabilityNumber(const std::string& name) {
  const std::optional<int> number = util::CapabilityNumber(name);
  if (!number.has_value()) return Unsupported(absl::StrCat("process.capabilities: unknown capability ", name));
  return *number;
}

absl::StatusOr<int> RlimitNumber(const std::string& name) {
  static const std::map<std::string, int> kNumbers = {
      {"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_STACK", RLIMIT_STACK}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
  const auto it = kNumbers.find(name);
  if (it == kNumbers.end()) return Unsupported(absl::StrCat("process.rlimits: unknown type ", name));
  return it->second;
}

// An id-sized integer (uid, gid, umask): a JSON integer within 0..UINT32_MAX, else
// INVALID_ARGUMENT naming `name`.
absl::StatusOr<uint32_t> IdOf(const json& value, const std::string& name) {
  if (!value.is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be an integer, not ", value.type_name()));
  }
  const bool in_range = value.is_number_unsigned() ? value.get<uint64_t>() <= UINT32_MAX
                                                   : value.get<int64_t>() >= 0 && value.get<int64_t>() <= int64_t{UINT32_MAX};
  if (!in_range) return absl::InvalidArgumentError(absl::StrCat(name, " is out of range: ", value.dump()));
  return value.get<uint32_t>();
}

// The id field `key` of `object` (process.user), 0 when absent.
absl::StatusOr<uint32_t> Id(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return uint32_t{0};
  return IdOf(*it, absl::StrCat("process.user.", key));
}

// An rlimit's "soft" or "hard": any integer (RLIM_INFINITY is 2^64-1), 0 when absent.
absl::StatusOr<uint64_t> Limit(const json& limit, const char* key) {
  const auto it = limit.find(key);
  if (it == limit.end() || it->is_null()) return uint64_t{0};
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("process.rlimits[].", key, " must be an integer, not ", it->type_name()));
  }
  return it->get<uint64_t>();
}

absl::StatusOr<uint64_t> CapabilityMask(const json& caps, const char* set, int last_cap) {
  uint64_t mask = 0;
  const auto it = caps.find(set);
  if (it == caps.end() || it->is_null()) return mask;
  if (!it->is_array()) return absl::InvalidArgumentError(absl::StrCat("process.capabilities.", set, " is not an array"));
  for (const json& name : *it) {
    if (!name.is_string()) return absl::InvalidArgumentError(absl::StrCat("process.capabilities.", set, " has a non-string"));
    absl::StatusOr<int> number = CapabilityNumber(name.get<std::string>());
    if (!number.ok()) return number.status();
    if (*number <= last_cap) mask |= uint64_t{1} << *number;
  }
  return mask;
}

absl::StatusOr<std::vector<std::string>> Strings(const json& process, const char* key) {
  const auto it = process.find(key);
  if (it == process.end() || it->is_null()) return std::vector<std::string>{};
  if (!it->is_array()) return absl::InvalidArgumentError(absl::StrCat("process.", key, " is not an array"));
  std::vector<std::string> out;
  for (const json& entry : *it) {
    if (!entry.is_string()) return absl::InvalidArgumentError(absl::StrCat("process.", key, " has a non-string"));
    out.push_back(entry.get<std::string>());
  }
  return out;
}

absl::Status CheckNamespaces(const json& linux) {
  static const std::set<std::string> kSupported = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"};
  const auto it = linux.find("namespaces");
  if (it == linux.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return absl::InvalidArgumentError("linux.namespaces is not an array");
  for (const json& ns : *it) {
    const std::string type = util::StringField(ns, "type", "linux.namespaces[]").value_or("");
    if (kSupported.count(type) == 0) return Unsupported(absl::StrCat("linux.namespaces: type ", ns.dump()));
  }
  return absl::OkStatus();
}

absl::Status ReadUser(const json& process, DirectExecPlan& plan) {
  const json user = process.value("user", json::object());
  if (!user.is_object()) return absl::InvalidArgumentError("process.user is not an object");
  absl::StatusOr<uint32_t> uid = Id(user, "uid");
  if (!uid.ok()) return uid.status();
  absl::StatusOr<uint32_t> gid = Id(user, "gid");
  if (!gid.ok()) return gid.status();
  plan.uid = *uid;
  plan.gid = *gid;
  if (const auto groups = user.find("additionalGids"); groups != user.end() && !groups->is_null()) {
    if (!groups->is_array()) return absl::InvalidArgumentError("process.user.additionalGids is not an array");
    for (const json& entry : *groups) {
      absl::StatusOr<uint32_t> additional = IdOf(entry, "process.user.additionalGids[]");
      if (!additional.ok()) return additional.status();
      plan.additional_gids.push_back(*additional);
    }
  }
  if (user.contains("umask") && !user["umask"].is_null()) {
    absl::StatusOr<uint32_t> umask = Id(user, "umask");
    if (!umask.ok()) return umask.status();
    plan.umask = *umask;
  }
  return absl::OkStatus();
}

absl::Status ReadCapabilities(const json& process, int last_cap, DirectExecPlan& plan) {
  const auto caps = process.find("capabilities");
  if (caps == process.end() || !caps->is_object()) return Unsupported("process.capabilities is absent");
  const std::pair<const char*, uint64_t*> sets[] = {{"bounding", &plan.bounding},
                                                    {"effective", &plan.effective},
                                                    {"permitted", &plan.permitted},
                                                    {"inheritable", &plan.inheritable},
                                                    {"ambient", &plan.ambient}};
  for (const auto& [name, mask] : sets) {
    absl::StatusOr<uint64_t> value = CapabilityMask(*caps, name, last_cap);
    if (!value.ok()) return value.status();
    *mask = *value;
  }
  return absl::OkStatus();
}

absl::Status ReadRlimits(const json& process, DirectExecPlan& plan) {
  const auto limits = process.find("rlimits");
  if (limits == process.end() || limits->is_null()) return absl::OkStatus();
  if (!limits->is_array()) return absl::InvalidArgumentError("process.rlimits is not an array");
  for (const json& limit : *limits) {
    absl::StatusOr<int> type = RlimitNumber(util::StringField(limit, "type", "process.rlimits[]").value_or(""));
    if (!type.ok()) return type.status();
    absl::StatusOr<uint64_t> soft = Limit(limit, "soft");
    if (!soft.ok()) return soft.status();
    absl::StatusOr<uint64_t> hard = Limit(limit, "hard");
    if (!hard.ok()) return hard.status();
    rlimit value{};
    value.rlim_cur = *soft;
    value.rlim_max = *hard;
    plan.rlimits.emplace_back(*type, value);
  }
  return absl::OkStatus();
}

void FillCandidates(DirectExecPlan& plan) {
  const std::string& name = plan.args.front();
  if (absl::StrContains(name, '/')) {
    plan.candidates.push_back(name);
    return;
  }
  std::string path = kDefaultPath;
  for (const std::string& entry : plan.env) {
    if (absl::StartsWith(entry, "PATH=")) path = entry.substr(5);
  }
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    plan.candidates.push_back(absl::StrCat(dir.empty() ? "." : dir, "/", name));
  }
}

}  // namespace

absl::StatusOr<DirectExecPlan> PlanDirectExec(const json& spec, const json& process, int last_cap) {
  if (!spec.is_object() || !process.is_object()) return absl::InvalidArgumentError("spec or process is not an object");
  const json linux = spec.value("linux", json::object());
  if (absl::Status s = CheckNamespaces(linux); !s.ok()) return s;
  for (const char* key : {"personality", "intelRdt", "timeOffsets"}) {
    if (linux.contains(key) && !linux[key].is_null()) return Unsupported(absl::StrCat("linux.", key));
  }
  for (const char* key : {"scheduler", "ioPriority", "execCPUAffinity", "consoleSize"}) {
    if (process.contains(key) && !process[key].is_null()) return Unsupported(absl::StrCat("process.", key));
  }
  absl::StatusOr<bool> terminal = util::BoolField(process, "terminal", "process");
  if (!terminal.ok()) return terminal.status();
  if (*terminal) return Unsupported("process.terminal");

  DirectExecPlan plan;
  absl::StatusOr<std::vector<std::string>> args = Strings(process, "args");
  if (!args.ok()) return args.status();
  if (args->empty()) return absl::InvalidArgumentError("process.args is empty");
  absl::StatusOr<std::vector<std::string>> env = Strings(process, "env");
  if (!env.ok()) return env.status();
  plan.args = std::move(*args);
  plan.env = std::move(*env);
  if (std::none_of(plan.env.begin(), plan.env.end(), [](const std::string& e) { return absl::StartsWith(e, "HOME="); })) {
    return Unsupported("process.env has no HOME (runc would look it up in the container's /etc/passwd)");
  }
  FillCandidates(plan);
  absl::StatusOr<std::string> cwd = util::StringField(process, "cwd", "process");
  if (!cwd.ok()) return cwd.status();
  plan.cwd = cwd->empty() ? std::string("/") : *cwd;
  if (absl::Status s = ReadUser(process, plan); !s.ok()) return s;
  if (absl::Status s = ReadCapabilities(process, last_cap, plan); !s.ok()) return s;
  if (absl::Status s = ReadRlimits(process, plan); !s.ok()) return s;
  absl::StatusOr<bool> no_new_privileges = util::BoolField(process, "noNewPrivileges", "process");
  if (!no_new_privileges.ok()) return no_new_privileges.status();
  plan.no_new_privileges = *no_new_privileges;
  if (process.contains("oomScoreAdj") && !process["oomScoreAdj"].is_null()) {
    absl::StatusOr<int64_t> oom_score_adj = util::IntegerField(process, "oomScoreAdj", "process");
    if (!oom_score_adj.ok()) return oom_score_adj.status();
    if (*oom_score_adj < INT_MIN || *oom_score_adj > INT_MAX) {
      return absl::InvalidArgumentError(absl::StrCat("process: \"oomScoreAdj\" is out of range: ", *oom_score_adj));
    }
    plan.oom_score_adj = static_cast<int>(*oom_score_adj);
  }
  absl::StatusOr<std::string> apparmor_profile = util::StringField(process, "apparmorProfile", "process");
  if (!apparmor_profile.ok()) return apparmor_profile.status();
  plan.apparmor_profile = *apparmor_profile;
  absl::StatusOr<std::string> selinux_label = util::StringField(process, "selinuxLabel", "process");
  if (!selinux_label.ok()) return selinux_label.status();
  plan.selinux_label = *selinux_label;
  if (const auto seccomp = linux.find("seccomp"); seccomp != linux.end() && !seccomp->is_null()) {
    absl::StatusOr<SeccompFilter> filter = CompileSeccomp(*seccomp);
    if (!filter.ok()) return filter.status();
    plan.seccomp = std::move(*filter);
  }
  return plan;
}

}  // namespace cloison::monitor
