#include "cloison/oci/cdi_spec.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/oci/cdi_name.h"
#include "cloison/oci/yaml_json.h"

namespace cloison::oci {
namespace {

using nlohmann::json;

// Reads the fields of one JSON object, failing with INVALID_ARGUMENT "<where>.<key>: reason".
class Fields {
 public:
  Fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  absl::Status Bad(absl::string_view key, absl::string_view reason) const {
    return absl::InvalidArgumentError(absl::StrCat(Name(key), ": ", reason));
  }
  std::string Name(absl::string_view key) const { return where_.empty() ? std::string(key) : absl::StrCat(where_, ".", key); }

  // The object itself is an object whose keys are all in `allowed`.
  absl::Status Check(const std::set<std::string>& allowed) const {
    if (!object_.is_object()) return absl::InvalidArgumentError(absl::StrCat(where_, ": expected an object"));
    for (const auto& [key, value] : object_.items()) {
      if (!allowed.contains(key)) return Bad(key, "unknown field");
    }
    return absl::OkStatus();
  }

  // Absent and null are the same (as Go reads JSON).
  const json* Get(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  absl::Status String(const std::string& key, std::string& out, bool required = false) const {
    const json* value = Get(key);
    if (value == nullptr) return required ? Bad(key, "required") : absl::OkStatus();
    if (!value->is_string()) return Bad(key, "expected a string");
    out = value->get<std::string>();
    if (required && out.empty()) return Bad(key, "required");
    return absl::OkStatus();
  }

  absl::Status Strings(const std::string& key, std::vector<std::string>& out) const {
    const json* value = Get(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_array()) return Bad(key, "expected an array of strings");
    for (const json& item : *value) {
      if (!item.is_string()) return Bad(key, "expected an array of strings");
      out.push_back(item.get<std::string>());
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Integer(const std::string& key, int64_t low, int64_t high, std::optional<T>& out) const {
    const json* value = Get(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_number_integer()) return Bad(key, "expected an integer");
    if (value->is_number_unsigned() ? value->get<uint64_t>() > static_cast<uint64_t>(high)
                                    : (value->get<int64_t>() < low || value->get<int64_t>() > high)) {
      return Bad(key, absl::StrCat("must be between ", low, " and ", high));
    }
    out = static_cast<T>(value->get<int64_t>());
    return absl::OkStatus();
  }

  absl::Status StringMap(const std::string& key) const {
    const json* value = Get(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_object()) return Bad(key, "expected an object of strings");
    for (const auto& [k, v] : value->items()) {
      if (!v.is_string()) return Bad(absl::StrCat(key, ".", k), "expected a string");
    }
    return absl::OkStatus();
  }

  // Runs `each(item, "<where>.key[i]")` over an array of objects.
  template <typename Each>
  absl::Status Objects(const std::string& key, Each each) const {
    const json* value = Get(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_array()) return Bad(key, "expected an array");
    for (size_t i = 0; i < value->size(); ++i) {
      if (absl::Status s = each((*value)[i], absl::StrCat(Name(key), "[", i, "]")); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  const json& object_;
  std::string where_;
};

constexpr int64_t kUint32Max = 0xffffffffLL;

absl::Status CheckEnv(const std::vector<std::string>& env, const Fields& fields, absl::string_view key) {
  for (const std::string& entry : env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      return fields.Bad(key, absl::StrCat("\"", entry, "\" is not NAME=VALUE"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseDeviceNode(const json& object, const std::string& where, CdiDeviceNode& node) {
  Fields f(object, where);
  if (absl::Status s = f.Check({"path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"});
      !s.ok()) {
    return s;
  }
  std::optional<int64_t> major, minor;
  for (absl::Status s : {f.String("path", node.path, true), f.String("hostPath", node.host_path),
                         f.String("type", node.type), f.Integer("major", 0, INT64_MAX, major),
                         f.Integer("minor", 0, INT64_MAX, minor), f.Integer("fileMode", 0, kUint32Max, node.file_mode),
                         f.String("permissions", node.permissions), f.Integer("uid", 0, kUint32Max, node.uid),
                         f.Integer("gid", 0, kUint32Max, node.gid)}) {
    if (!s.ok()) return s;
  }
  node.major = major.value_or(0);
  node.minor = minor.value_or(0);
  if (node.type != "" && node.type != "b" && node.type != "c" && node.type != "u" && node.type != "p") {
    return f.Bad("type", absl::StrCat("\"", node.type, "\" is not one of b, c, u, p"));
  }
  if (node.permissions != "none" && node.permissions.find_first_not_of("rwm") != std::string::npos) {
    return f.Bad("permissions", absl::StrCat("\"", node.permissions, "\" is not a subset of \"rwm\" (or \"none\")"));
  }
  return absl::OkStatus();
}

absl::Status ParseMount(const json& object, const std::string& where, CdiMount& mount) {
  Fields f(object, where);
  if (absl::Status s = f.Check({"hostPath", "containerPath", "type", "options"}); !s.ok()) return s;
  for (absl::Status s : {f.String("hostPath", mount.host_path, true), f.String("containerPath", mount.container_path, true),
                         f.String("type", mount.type), f.Strings("options", mount.options)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseHook(const json& object, const std::string& where, CdiHook& hook) {
  static const std::set<std::string> kHookNames = {"prestart",       "createRuntime", "createContainer",
                                                   "startContainer", "poststart",     "poststop"};
  Fields f(object, where);
  if (absl::Status s = f.Check({"hookName", "path", "args", "env", "timeout"}); !s.ok()) return s;
  for (absl::Status s : {f.String("hookName", hook.hook_name, true), f.String("path", hook.path, true),
                         f.Strings("args", hook.args), f.Strings("env", hook.env),
                         f.Integer("timeout", 1, INT32_MAX, hook.timeout), CheckEnv(hook.env, f, "env")}) {
    if (!s.ok()) return s;
  }
  if (!kHookNames.contains(hook.hook_name)) {
    return f.Bad("hookName", absl::StrCat("\"", hook.hook_name, "\" is not an OCI hook"));
  }
  return absl::OkStatus();
}

absl::Status ParseIntelRdt(const json& object, const std::string& where, json& out) {
  Fields f(object, where);
  if (absl::Status s = f.Check({"closID", "l3CacheSchema", "memBwSchema", "enableCMT", "enableMBM"}); !s.ok()) {
    return s;
  }
  out = json::object();
  for (const char* key : {"closID", "l3CacheSchema", "memBwSchema"}) {
    std::string value;
    if (absl::Status s = f.String(key, value); !s.ok()) return s;
    if (!value.empty()) out[key] = value;
  }
  for (const char* key : {"enableCMT", "enableMBM"}) {
    const json* value = f.Get(key);
    if (value == nullptr) continue;
    if (!value->is_boolean()) return f.Bad(key, "expected true or false");
    out[key] = *value;
  }
  return absl::OkStatus();
}

absl::Status ParseEdits(const json& object, const std::string& where, CdiContainerEdits& edits) {
  Fields f(object, where);
  if (absl::Status s = f.Check({"env", "deviceNodes", "mounts", "hooks", "additionalGids", "intelRdt"}); !s.ok()) {
    return s;
  }
  if (absl::Status s = f.Strings("env", edits.env); !s.ok()) return s;
  if (absl::Status s = CheckEnv(edits.env, f, "env"); !s.ok()) return s;
  absl::Status s = f.Objects("deviceNodes", [&](const json& item, const std::string& at) {
    return ParseDeviceNode(item, at, edits.device_nodes.emplace_back());
  });
  if (!s.ok()) return s;
  s = f.Objects("mounts", [&](const json& item, const std::string& at) {
    return ParseMount(item, at, edits.mounts.emplace_back());
  });
  if (!s.ok()) return s;
  s = f.Objects("hooks", [&](const json& item, const std::string& at) {
    return ParseHook(item, at, edits.hooks.emplace_back());
  });
  if (!s.ok()) return s;
  if (const json* gids = f.Get("additionalGids"); gids != nullptr) {
    if (!gids->is_array()) return f.Bad("additionalGids", "expected an array of group ids");
    for (const json& gid : *gids) {
      if (!gid.is_number_unsigned() || gid.get<uint64_t>() > static_cast<uint64_t>(kUint32Max)) {
        // Only a scalar is shown: dump() recurses, and the entry may nest as deep as the file.
        return f.Bad("additionalGids", absl::StrCat(gid.is_primitive() ? gid.dump() : gid.type_name(), " is not a group id"));
      }
      edits.additional_gids.push_back(gid.get<uint32_t>());
    }
  }
  if (const json* rdt = f.Get("intelRdt"); rdt != nullptr) {
    return ParseIntelRdt(*rdt, f.Name("intelRdt"), edits.intel_rdt.emplace());
  }
  return absl::OkStatus();
}

// 0.3.x to 0.8.x: the spec's released versions. Anything else, newer majors included, is refused.
absl::Status CheckVersion(const std::string& version, const Fields& f) {
  std::vector<std::string> parts = absl::StrSplit(version, '.');
  int numbers[3] = {0, 0, 0};
  bool ok = parts.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) ok = absl::SimpleAtoi(parts[i], &numbers[i]) && numbers[i] >= 0;
  if (!ok) return f.Bad("cdiVersion", absl::StrCat("\"", version, "\" is not a semantic version"));
  if (numbers[0] != 0 || numbers[1] < 3 || numbers[1] > 8) {
    return f.Bad("cdiVersion", absl::StrCat("unsupported version \"", version, "\" (supported: 0.3.0 to 0.8.x)"));
  }
  return absl::OkStatus();
}

absl::Status ParseDocument(const json& document, CdiSpec& spec) {
  Fields f(document, "");
  if (!document.is_object()) return absl::InvalidArgumentError("expected an object");
  if (absl::Status s = f.Check({"cdiVersion", "kind", "annotations", "devices", "containerEdits"}); !s.ok()) return s;
  if (absl::Status s = f.String("cdiVersion", spec.version, true); !s.ok()) return s;
  if (absl::Status s = CheckVersion(spec.version, f); !s.ok()) return s;
  std::string kind;
  if (absl::Status s = f.String("kind", kind, true); !s.ok()) return s;
  absl::StatusOr<CdiName> parsed_kind = ParseCdiKind(kind);
  if (!parsed_kind.ok()) return f.Bad("kind", parsed_kind.status().message());
  spec.vendor = parsed_kind->vendor;
  spec.device_class = parsed_kind->device_class;
  if (absl::Status s = f.StringMap("annotations"); !s.ok()) return s;
  if (const json* edits = f.Get("containerEdits"); edits != nullptr) {
    if (absl::Status s = ParseEdits(*edits, "containerEdits", spec.edits); !s.ok()) return s;
  }
  absl::Status s = f.Objects("devices", [&](const json& item, const std::string& at) {
    Fields d(item, at);
    if (absl::Status c = d.Check({"name", "annotations", "containerEdits"}); !c.ok()) return c;
    std::string name;
    if (absl::Status c = d.String("name", name, true); !c.ok()) return c;
    if (absl::Status c = ValidateCdiDeviceName(name); !c.ok()) return d.Bad("name", c.message());
    if (absl::Status c = d.StringMap("annotations"); !c.ok()) return c;
    if (spec.devices.contains(name)) return d.Bad("name", absl::StrCat("device \"", name, "\" is defined twice"));
    CdiContainerEdits& edits = spec.devices[name];
    const json* raw = d.Get("containerEdits");
    if (raw != nullptr) {
      if (absl::Status c = ParseEdits(*raw, d.Name("containerEdits"), edits); !c.ok()) return c;
    }
    if (edits.empty()) return d.Bad("containerEdits", "a device needs at least one edit");
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (spec.devices.empty()) return f.Bad("devices", "a spec needs at least one device");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CdiSpec> ParseCdiSpec(absl::string_view text, const std::string& path) {
  CdiSpec spec;
  spec.path = path;
  json document;
  if (absl::EndsWith(path, ".json")) {
    document = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": invalid JSON"));
  } else {
    absl::StatusOr<json> converted = YamlToJson(text);
    if (!converted.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", converted.status().message()));
    document = *std::move(converted);
  }
  if (absl::Status s = ParseDocument(document, spec); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  return spec;
}

absl::StatusOr<CdiSpec> ReadCdiSpec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseCdiSpec(text.str(), path);
}

}  // namespace cloison::oci
