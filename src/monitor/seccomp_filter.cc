#include "cloison/monitor/seccomp_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/seccomp_names.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {
namespace {

using nlohmann::json;

struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
};

absl::Status Unsupported(const std::string& what) {
  return absl::UnimplementedError(absl::StrCat("linux.seccomp: ", what));
}

// A libseccomp call failing with -`error`, reported as Unsupported.
absl::Status UnsupportedErrno(int error, const std::string& what) {
  return util::SystemCallErrorOf(absl::StatusCode::kUnimplemented, error, absl::StrCat("linux.seccomp: ", what));
}

// The action `name` with `errno_ret` (the rule's, or the default's errnoRet; -1 when absent).
// SCMP_ACT_NOTIFY needs a listener (listenerPath), which this path does not serve.
absl::StatusOr<uint32_t> Action(const std::string& name, int64_t errno_ret) {
  const auto it = util::SeccompActions().find(name);
  if (it == util::SeccompActions().end() || name == "SCMP_ACT_NOTIFY") {
    return Unsupported(absl::StrCat("action ", name));
  }
  return it->second(errno_ret >= 0 ? static_cast<uint32_t>(errno_ret) : EPERM);
}

absl::StatusOr<scmp_compare> Operator(const std::string& name) {
  const auto it = util::SeccompOperators().find(name);
  if (it == util::SeccompOperators().end()) return Unsupported(absl::StrCat("operator ", name));
  return it->second;
}

int64_t ErrnoRet(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() && it->get<int64_t>() >= 0 ? it->get<int64_t>() : -1;
}

absl::Status AddArchitectures(scmp_filter_ctx ctx, const json& section) {
  const auto it = section.find("architectures");
  if (it == section.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return absl::InvalidArgumentError("linux.seccomp.architectures is not an array");
  for (const json& entry : *it) {
    const std::string name = entry.is_string() ? entry.get<std::string>() : entry.dump();
    const uint32_t arch = util::SeccompArchToken(name);
    if (arch == 0) return Unsupported(absl::StrCat("architecture ", name));
    const int rc = seccomp_arch_add(ctx, arch);
    if (rc != 0 && rc != -EEXIST) return UnsupportedErrno(-rc, absl::StrCat("adding architecture ", name));
  }
  return absl::OkStatus();
}

absl::Status SetFlags(const json& section, unsigned int& flags) {
  const auto it = section.find("flags");
  if (it == section.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return absl::InvalidArgumentError("linux.seccomp.flags is not an array");
  for (const json& entry : *it) {
    const std::string name = entry.is_string() ? entry.get<std::string>() : entry.dump();
    if (name == "SECCOMP_FILTER_FLAG_TSYNC") {
      flags |= SECCOMP_FILTER_FLAG_TSYNC;
    } else if (name == "SECCOMP_FILTER_FLAG_LOG") {
      flags |= SECCOMP_FILTER_FLAG_LOG;
    } else if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    } else {
      return Unsupported(absl::StrCat("flag ", name));
    }
  }
  return absl::OkStatus();
}

// An argument's "value" or "valueTwo": any integer (runc reads a uint64; a negative one wraps
// as it always did here), 0 when absent. A float or another type is INVALID_ARGUMENT.
absl::StatusOr<uint64_t> Datum(const json& arg, const char* key) {
  const auto it = arg.find(key);
  if (it == arg.end() || it->is_null()) return uint64_t{0};
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("linux.seccomp.syscalls[].args[].", key, " must be an integer, not ",
                                                   it->type_name()));
  }
  return it->get<uint64_t>();
}

absl::StatusOr<std::vector<scmp_arg_cmp>> Conditions(const json& rule) {
  std::vector<scmp_arg_cmp> conditions;
  const auto it = rule.find("args");
  if (it == rule.end() || it->is_null()) return conditions;
  if (!it->is_array()) return absl::InvalidArgumentError("linux.seccomp.syscalls[].args is not an array");
  for (const json& arg : *it) {
    if (!arg.is_object() || !arg.contains("index") || !arg["index"].is_number_integer() || arg["index"].get<int64_t>() < 0 ||
        arg["index"].get<int64_t>() > 5) {
      return absl::InvalidArgumentError(absl::StrCat("linux.seccomp.syscalls[].args: bad entry ", arg.dump()));
    }
    absl::StatusOr<std::string> op_name = util::StringField(arg, "op", "linux.seccomp.syscalls[].args[]");
    if (!op_name.ok()) return op_name.status();
    absl::StatusOr<scmp_compare> op = Operator(*op_name);
    if (!op.ok()) return op.status();
    absl::StatusOr<uint64_t> value = Datum(arg, "value");
    if (!value.ok()) return value.status();
    absl::StatusOr<uint64_t> value_two = Datum(arg, "valueTwo");
    if (!value_two.ok()) return value_two.status();
    scmp_arg_cmp condition{};
    condition.arg = arg["index"].get<unsigned>();
    condition.op = *op;
    condition.datum_a = *value;
    condition.datum_b = *value_two;
    conditions.push_back(condition);
  }
  return conditions;
}

// One rule entry: its action for every name, with its conditions as runc groups them.
absl::Status AddRule(scmp_filter_ctx ctx, const json& rule, uint32_t default_action) {
  if (!rule.is_object()) return absl::InvalidArgumentError("linux.seccomp.syscalls has a non-object entry");
  absl::StatusOr<std::string> action_name = util::StringField(rule, "action", "linux.seccomp.syscalls[]");
  if (!action_name.ok()) return action_name.status();
  absl::StatusOr<uint32_t> action = Action(*action_name, ErrnoRet(rule, "errnoRet"));
  if (!action.ok()) return action.status();
  if (*action == default_action) return absl::OkStatus();
  absl::StatusOr<std::vector<scmp_arg_cmp>> conditions = Conditions(rule);
  if (!conditions.ok()) return conditions.status();
  std::set<unsigned> indexes;
  for (const scmp_arg_cmp& c : *conditions) indexes.insert(c.arg);
  const bool separate = indexes.size() < conditions->size();
  const auto names = rule.find("names");
  if (names == rule.end() || !names->is_array()) return absl::InvalidArgumentError("linux.seccomp.syscalls[].names is not an array");
  for (const json& name : *names) {
    if (!name.is_string()) return absl::InvalidArgumentError("linux.seccomp.syscalls[].names has a non-string");
    const int number = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
    if (number == __NR_SCMP_ERROR) continue;
    int rc = 0;
    if (separate) {
      for (const scmp_arg_cmp& c : *conditions) {
        if ((rc = seccomp_rule_add_array(ctx, *action, number, 1, &c)) != 0) break;
      }
    } else {
      rc = seccomp_rule_add_array(ctx, *action, number, static_cast<unsigned>(conditions->size()), conditions->data());
    }
    if (rc != 0) return UnsupportedErrno(-rc, absl::StrCat("rule for ", name.get<std::string>()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx ctx) {
  util::UniqueFd memory(memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!memory.valid()) return util::SystemCallError("memfd_create");
  if (const int rc = seccomp_export_bpf(ctx, memory.get()); rc != 0) {
    return util::SystemCallErrorOf(-rc, "seccomp_export_bpf");
  }
  const off_t size = lseek(memory.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return absl::InternalError("seccomp_export_bpf wrote no whole program");
  }
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(memory.get(), program.data(), static_cast<size_t>(size), 0) != size) {
    return util::SystemCallError("reading the seccomp program");
  }
  return program;
}

}  // namespace

absl::StatusOr<SeccompFilter> CompileSeccomp(const json& section) {
  if (!section.is_object()) return absl::InvalidArgumentError("linux.seccomp is not an object");
  if (const auto listener = section.find("listenerPath");
      listener != section.end() && !listener->is_null() && *listener != "") {
    return Unsupported("listenerPath");
  }
  absl::StatusOr<std::string> default_name = util::StringField(section, "defaultAction", "linux.seccomp");
  if (!default_name.ok()) return default_name.status();
  absl::StatusOr<uint32_t> default_action = Action(*default_name, ErrnoRet(section, "defaultErrnoRet"));
  if (!default_action.ok()) return default_action.status();
  Context context;
  context.ctx = seccomp_init(*default_action);
  if (context.ctx == nullptr) return absl::InternalError("seccomp_init failed");
  if (const int rc = seccomp_attr_set(context.ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0) {
    return util::SystemCallErrorOf(-rc, "seccomp_attr_set(NNP)");
  }
  SeccompFilter filter;
  if (absl::Status s = AddArchitectures(context.ctx, section); !s.ok()) return s;
  if (absl::Status s = SetFlags(section, filter.flags); !s.ok()) return s;
  if (const auto rules = section.find("syscalls"); rules != section.end() && !rules->is_null()) {
    if (!rules->is_array()) return absl::InvalidArgumentError("linux.seccomp.syscalls is not an array");
    for (const json& rule : *rules) {
      if (absl::Status s = AddRule(context.ctx, rule, *default_action); !s.ok()) return s;
    }
  }
  absl::StatusOr<std::vector<sock_filter>> program = ExportBpf(context.ctx);
  if (!program.ok()) return program.status();
  if (program->size() > BPF_MAXINSNS) return Unsupported("the program is longer than BPF_MAXINSNS");
  filter.program = std::move(*program);
  return filter;
}

int SeccompFilter::Load() const {
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = const_cast<sock_filter*>(program.data());
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog) == 0 ? 0 : -errno;
}

}  // namespace cloison::monitor
