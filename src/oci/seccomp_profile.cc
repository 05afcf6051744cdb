#include "cloison/oci/seccomp_profile.h"

#include <seccomp.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cloison/oci/seccomp_default.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/logging.h"
#include "cloison/util/seccomp_names.h"

namespace cloison::oci {
namespace {

using nlohmann::json;
namespace v1 = ::runtime::v1;
namespace fs = std::filesystem;

// The names of a util/seccomp_names.h table, as a message lists them.
template <typename Table>
std::string NamesOf(const Table& table) {
  return absl::StrJoin(table, ", ", [](std::string* out, const auto& entry) { out->append(entry.first); });
}

// The Go architecture name Docker profiles use in includes/excludes.arches.
const char* NativeGoArch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "386";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#else
  return "";
#endif
}

class ProfileParser {
 public:
  ProfileParser(const std::vector<std::string>& capabilities, absl::string_view where)
      : capabilities_(capabilities), where_(where) {}

  absl::StatusOr<json> Parse(absl::string_view text) {
    const json doc = json::parse(std::string(text), nullptr, false);
    if (doc.is_discarded()) return Bad("", "is not valid JSON");
    if (!doc.is_object()) return Bad("", "must be a JSON object");
    json out = json::object();
    absl::StatusOr<std::string> action = Action(doc, "defaultAction", true);
    if (!action.ok()) return action.status();
    out["defaultAction"] = *action;
    if (absl::Status s = CopyErrno(doc, "defaultErrnoRet", out); !s.ok()) return s;
    absl::StatusOr<std::vector<std::string>> arches = Architectures(doc);
    if (!arches.ok()) return arches.status();
    if (!arches->empty()) out["architectures"] = *arches;
    for (const char* key : {"flags"}) {
      if (!doc.contains(key)) continue;
      if (!IsStringArray(doc[key])) return Bad(key, "must be an array of strings");
      out[key] = doc[key];
    }
    for (const char* key : {"listenerPath", "listenerMetadata"}) {
      if (!doc.contains(key)) continue;
      if (!doc[key].is_string()) return Bad(key, "must be a string");
      out[key] = doc[key];
    }
    json syscalls = json::array();
    if (doc.contains("syscalls")) {
      if (!doc["syscalls"].is_array()) return Bad("syscalls", "must be an array");
      for (size_t i = 0; i < doc["syscalls"].size(); ++i) {
        absl::StatusOr<std::optional<json>> rule = Rule(doc["syscalls"][i], i);
        if (!rule.ok()) return rule.status();
        if (rule->has_value()) syscalls.push_back(**rule);
      }
    }
    out["syscalls"] = std::move(syscalls);
    return out;
  }

 private:
  absl::Status Bad(absl::string_view key, absl::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrCat(where_, key.empty() ? "" : ": ", key, " ", reason));
  }

  static bool IsStringArray(const json& value) {
    return value.is_array() &&
           std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
  }

  bool Holds(const std::string& cap) const {
    return std::find(capabilities_.begin(), capabilities_.end(), cap) != capabilities_.end();
  }

  absl::StatusOr<std::string> Action(const json& object, const std::string& key, bool required,
                                     const std::string& prefix = "") const {
    if (!object.contains(key)) {
      if (required) return Bad(prefix + key, "is required");
      return std::string();
    }
    if (!object[key].is_string()) return Bad(prefix + key, "must be a string");
    const std::string action = object[key];
    if (!util::SeccompActions().contains(action)) {
      return Bad(prefix + key, absl::StrCat("\"", action, "\" is not a seccomp action (",
                                            NamesOf(util::SeccompActions()), ")"));
    }
    return action;
  }

  absl::Status CopyErrno(const json& from, const std::string& key, json& to,
                         const std::string& prefix = "") const {
    if (!from.contains(key)) return absl::OkStatus();
    if (!from[key].is_number_unsigned()) return Bad(prefix + key, "must be a non-negative integer");
    to[key] = from[key];
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> Architectures(const json& doc) const {
    std::vector<std::string> arches;
    if (doc.contains("architectures")) {
      if (!IsStringArray(doc["architectures"])) {
        return Bad("architectures", "must be an array of strings");
      }
      arches = doc["architectures"].get<std::vector<std::string>>();
    }
    if (doc.contains("archMap")) {
      if (!doc["archMap"].is_array()) return Bad("archMap", "must be an array");
      const std::vector<std::string> native = NativeSeccompArchitectures();
      for (const json& entry : doc["archMap"]) {
        if (!entry.is_object() || !entry.contains("architecture") ||
            !entry["architecture"].is_string()) {
          return Bad("archMap", "entries need an \"architecture\" string");
        }
        if (entry.contains("subArchitectures") && !IsStringArray(entry["subArchitectures"])) {
          return Bad("archMap.subArchitectures", "must be an array of strings");
        }
        if (native.empty() || entry["architecture"] != native.front()) continue;
        arches.push_back(entry["architecture"]);
        if (entry.contains("subArchitectures")) {
          for (const json& sub : entry["subArchitectures"]) arches.push_back(sub);
        }
      }
    }
    for (const std::string& arch : arches) {
      if (util::SeccompArchToken(arch) == 0) {
        return Bad("architectures", absl::StrCat("\"", arch, "\" is not a seccomp architecture"));
      }
    }
    return arches;
  }

  // Docker's includes/excludes: {caps: [...], arches: [...], minKernel}.
  absl::StatusOr<bool> Applies(const json& rule, const std::string& prefix) const {
    for (const char* key : {"includes", "excludes"}) {
      if (!rule.contains(key)) continue;
      const json& cond = rule[key];
      const std::string name = prefix + key;
      if (!cond.is_object()) return Bad(name, "must be an object");
      for (const char* list : {"caps", "arches"}) {
        if (cond.contains(list) && !IsStringArray(cond[list])) {
          return Bad(absl::StrCat(name, ".", list), "must be an array of strings");
        }
      }
      const std::vector<std::string> caps = cond.value("caps", std::vector<std::string>{});
      const std::vector<std::string> arches = cond.value("arches", std::vector<std::string>{});
      const bool arch_listed =
          std::find(arches.begin(), arches.end(), NativeGoArch()) != arches.end();
      if (std::string(key) == "includes") {
        if (!std::all_of(caps.begin(), caps.end(), [&](const std::string& c) { return Holds(c); })) {
          return false;
        }
        if (!arches.empty() && !arch_listed) return false;
      } else {
        if (std::any_of(caps.begin(), caps.end(), [&](const std::string& c) { return Holds(c); })) {
          return false;
        }
        if (arch_listed) return false;
      }
    }
    return true;
  }

  absl::StatusOr<std::optional<json>> Rule(const json& rule, size_t index) const {
    const std::string prefix = absl::StrCat("syscalls[", index, "].");
    if (!rule.is_object()) return Bad(absl::StrCat("syscalls[", index, "]"), "must be an object");
    std::vector<std::string> names;
    if (rule.contains("names")) {
      if (!IsStringArray(rule["names"])) return Bad(prefix + "names", "must be an array of strings");
      names = rule["names"].get<std::vector<std::string>>();
    }
    if (rule.contains("name")) {
      if (!rule["name"].is_string()) return Bad(prefix + "name", "must be a string");
      names.push_back(rule["name"]);
    }
    if (names.empty()) return Bad(prefix + "names", "must name at least one syscall");
    absl::StatusOr<std::string> action = Action(rule, "action", true, prefix);
    if (!action.ok()) return action.status();
    json out = {{"names", names}, {"action", *action}};
    if (absl::Status s = CopyErrno(rule, "errnoRet", out, prefix); !s.ok()) return s;
    if (rule.contains("args") && !rule["args"].is_null()) {
      if (!rule["args"].is_array()) return Bad(prefix + "args", "must be an array");
      json args = json::array();
      for (size_t i = 0; i < rule["args"].size(); ++i) {
        const json& arg = rule["args"][i];
        const std::string where = absl::StrCat(prefix, "args[", i, "]");
        if (!arg.is_object()) return Bad(where, "must be an object");
        if (!arg.contains("index") || !arg["index"].is_number_unsigned() || arg["index"] > 5) {
          return Bad(where + ".index", "must be an argument index from 0 to 5");
        }
        for (const char* key : {"value", "valueTwo"}) {
          if (arg.contains(key) && !arg[key].is_number_unsigned()) {
            return Bad(absl::StrCat(where, ".", key), "must be a non-negative integer");
          }
        }
        if (!arg.contains("op") || !arg["op"].is_string() || !util::SeccompOperators().contains(arg["op"])) {
          return Bad(where + ".op", absl::StrCat("must be one of ", NamesOf(util::SeccompOperators())));
        }
        args.push_back({{"index", arg["index"]},
                        {"value", arg.value("value", uint64_t{0})},
                        {"valueTwo", arg.value("valueTwo", uint64_t{0})},
                        {"op", arg["op"]}});
      }
      if (!args.empty()) out["args"] = std::move(args);
    }
    absl::StatusOr<bool> applies = Applies(rule, prefix);
    if (!applies.ok()) return applies.status();
    if (!*applies) return std::optional<json>();
    return std::optional<json>(std::move(out));
  }

  const std::vector<std::string>& capabilities_;
  std::string where_;
};

// The Localhost profile's path, checked to lie under `root`.
absl::StatusOr<std::string> LocalhostPath(const std::string& ref, const SeccompInput& in,
                                          const std::string& field) {
  if (ref.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required for a Localhost profile"));
  if (!absl::StartsWith(ref, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", ref, "\" is not an absolute path"));
  }
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::path(in.profile_root).lexically_normal(), ec);
  if (!root.has_filename()) root = root.parent_path();
  const fs::path path = fs::weakly_canonical(ref, ec);
  const auto [root_end, unused] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  if (in.profile_root.empty() || root_end != root.end() || path == root) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", ref,
                                                   "\" is not under the seccomp profile root \"",
                                                   in.profile_root, "\" (seccomp_profile_root)"));
  }
  return path.string();
}

absl::StatusOr<std::optional<json>> Localhost(const std::string& ref, const SeccompInput& in,
                                              const std::string& field) {
  absl::StatusOr<std::string> path = LocalhostPath(ref, in, field);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> text = util::ReadFile(*path);
  if (!text.ok()) {
    return absl::Status(absl::IsNotFound(text.status()) ? absl::StatusCode::kNotFound
                                                        : absl::StatusCode::kInvalidArgument,
                        absl::StrCat(field, ": cannot read the seccomp profile: ", text.status().message()));
  }
  absl::StatusOr<json> profile =
      ParseSeccompProfile(*text, in.capabilities, absl::StrCat(field, ": seccomp profile ", *path));
  if (!profile.ok()) return profile.status();
  const std::vector<std::string> dropped = DropUnknownSyscalls(*profile);
  if (!dropped.empty()) {
    spdlog::info("seccomp profile {}: ignoring syscalls unknown to libseccomp on its architectures: {}",
                 *path, absl::StrJoin(dropped, ", "));
  }
  return std::optional<json>(*std::move(profile));
}

std::optional<json> RuntimeDefault(const SeccompInput& in) {
  json profile = DefaultSeccompProfile(in.capabilities);
  const std::vector<std::string> dropped = DropUnknownSyscalls(profile);
  if (!dropped.empty()) {
    spdlog::debug("default seccomp profile: libseccomp does not know {}", absl::StrJoin(dropped, ", "));
  }
  return profile;
}

}  // namespace

absl::StatusOr<json> ParseSeccompProfile(absl::string_view text,
                                         const std::vector<std::string>& capabilities,
                                         absl::string_view where) {
  return ProfileParser(capabilities, where).Parse(text);
}

std::vector<std::string> DropUnknownSyscalls(json& profile) {
  std::vector<uint32_t> arches;
  for (const json& arch : profile.value("architectures", json::array())) {
    if (uint32_t token = util::SeccompArchToken(arch.get<std::string>()); token != 0) arches.push_back(token);
  }
  if (arches.empty()) arches.push_back(seccomp_arch_native());
  std::set<std::string> dropped;
  json kept = json::array();
  for (json& rule : profile["syscalls"]) {
    json names = json::array();
    for (const json& name : rule["names"]) {
      const std::string text = name.get<std::string>();
      const bool known = std::any_of(arches.begin(), arches.end(), [&](uint32_t arch) {
        return seccomp_syscall_resolve_name_arch(arch, text.c_str()) != __NR_SCMP_ERROR;
      });
      if (known) {
        names.push_back(name);
      } else {
        dropped.insert(text);
      }
    }
    if (names.empty()) continue;
    rule["names"] = std::move(names);
    kept.push_back(std::move(rule));
  }
  profile["syscalls"] = std::move(kept);
  return {dropped.begin(), dropped.end()};
}

absl::StatusOr<std::optional<json>> SeccompForProcess(const SeccompInput& in) {
  if (in.privileged) return std::optional<json>();
  if (in.profile != nullptr) {
    switch (in.profile->profile_type()) {
      case v1::SecurityProfile::RuntimeDefault:
        return RuntimeDefault(in);
      case v1::SecurityProfile::Unconfined:
        return std::optional<json>();
      case v1::SecurityProfile::Localhost:
        return Localhost(in.profile->localhost_ref(), in, in.field + ".seccomp.localhost_ref");
      default:
        return absl::InvalidArgumentError(absl::StrCat(in.field, ".seccomp.profile_type: unknown value ",
                                                       in.profile->profile_type()));
    }
  }
  const std::string& path = in.deprecated_path;
  const std::string field = in.field + ".seccomp_profile_path";
  if (path.empty() || path == "unconfined") return std::optional<json>();
  if (path == "runtime/default" || path == "docker/default") return RuntimeDefault(in);
  if (absl::StartsWith(path, "localhost/")) {
    return Localhost(std::string(absl::StripPrefix(path, "localhost/")), in, field);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", path, "\" is not runtime/default, docker/default, unconfined or localhost/<path>"));
}

}  // namespace cloison::oci
