#include "cloison/config/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloison/config/values.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/utf8.h"

namespace cloison::config {
namespace {

namespace fs = std::filesystem;

std::string Where(const toml::value& value) {
  const toml::source_location loc = value.location();
  return absl::StrCat(loc.file_name(), ":", loc.line());
}

absl::Status Bad(const toml::value& value, absl::string_view key, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(Where(value), ": ", key, ": ", reason));
}

absl::Status ReadString(const toml::value& value, absl::string_view key, std::string& out) {
  if (!value.is_string()) return Bad(value, key, "expected a string");
  out = value.as_string().str;
  return absl::OkStatus();
}

absl::Status ReadBool(const toml::value& value, absl::string_view key, bool& out) {
  if (!value.is_boolean()) return Bad(value, key, "expected true or false");
  out = value.as_boolean();
  return absl::OkStatus();
}

absl::Status ReadStringArray(const toml::value& value, absl::string_view key,
                             std::vector<std::string>& out) {
  if (!value.is_array()) return Bad(value, key, "expected an array of strings");
  std::vector<std::string> items;
  for (const toml::value& item : value.as_array()) {
    if (!item.is_string()) return Bad(item, key, "expected an array of strings");
    items.push_back(item.as_string().str);
  }
  out = std::move(items);
  return absl::OkStatus();
}

// Reads a string that must be one of `allowed` and maps it through `parse`.
template <typename T, typename Parse>
absl::Status ReadChoice(const toml::value& value, absl::string_view key, Parse parse, T& out) {
  std::string text;
  if (absl::Status s = ReadString(value, key, text); !s.ok()) return s;
  absl::StatusOr<T> parsed = parse(text);
  if (!parsed.ok()) return Bad(value, key, parsed.status().message());
  out = *parsed;
  return absl::OkStatus();
}

absl::Status RequireTable(const toml::value& value, absl::string_view key) {
  if (!value.is_table()) return Bad(value, key, "expected a table");
  return absl::OkStatus();
}

absl::Status ApplyHandler(const std::string& name, const toml::value& table, Config& config) {
  const std::string prefix = absl::StrCat("runtimes.", name);
  if (absl::Status s = RequireTable(table, prefix); !s.ok()) return s;
  if (absl::Status s = ValidateHandlerName(name); !s.ok()) return Bad(table, prefix, s.message());

  RuntimeHandler& handler = config.runtimes[name];
  handler.name = name;
  for (const auto& [key, value] : table.as_table()) {
    const std::string full = absl::StrCat(prefix, ".", key);
    absl::Status s;
    if (key == "runtime_path") {
      s = ReadString(value, full, handler.runtime_path);
    } else if (key == "runtime_type") {
      s = ReadChoice(value, full, ParseRuntimeType, handler.runtime_type);
    } else if (key == "runtime_root") {
      s = ReadString(value, full, handler.runtime_root);
    } else if (key == "runtime_config_path") {
      s = ReadString(value, full, handler.runtime_config_path);
    } else if (key == "runtime_args") {
      s = ReadStringArray(value, full, handler.runtime_args);
    } else if (key == "monitor_path") {
      s = ReadString(value, full, handler.monitor_path);
    } else if (key == "privileged_without_host_devices") {
      s = ReadBool(value, full, handler.privileged_without_host_devices);
    } else if (key == "allowed_annotations") {
      s = ReadStringArray(value, full, handler.allowed_annotations);
    } else if (key == "sandbox_mode") {
      s = ReadChoice(value, full, ParseSandboxMode, handler.sandbox_mode);
    } else if (key == "direct_exec_sync") {
      s = ReadBool(value, full, handler.direct_exec_sync);
    } else {
      s = Bad(value, full, "unknown key");
    }
    if (!s.ok()) return s;
  }
  // A VM is built around the pod's sandbox: a table that makes a handler "vm" without saying
  // otherwise gives it an infra container.
  if (table.contains("runtime_type") && handler.runtime_type == RuntimeType::kVm && !table.contains("sandbox_mode")) {
    handler.sandbox_mode = SandboxMode::kInfra;
  }
  return absl::OkStatus();
}

absl::Status ReadInt(const toml::value& value, absl::string_view key, int low, int high, int& out);

absl::Status ApplyNetwork(const toml::value& table, Config& config) {
  if (absl::Status s = RequireTable(table, "network"); !s.ok()) return s;
  for (const auto& [key, value] : table.as_table()) {
    const std::string full = absl::StrCat("network.", key);
    absl::Status s;
    if (key == "cni_config_dir") {
      s = ReadString(value, full, config.network.cni_config_dir);
    } else if (key == "cni_plugin_dirs") {
      s = ReadStringArray(value, full, config.network.cni_plugin_dirs);
    } else if (key == "plugin_timeout") {
      s = ReadInt(value, full, 1, 3600, config.network.plugin_timeout);
    } else {
      s = Bad(value, full, "unknown key");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ReadInt(const toml::value& value, absl::string_view key, int low, int high, int& out) {
  if (!value.is_integer()) return Bad(value, key, "expected an integer");
  const auto number = value.as_integer();
  if (number < low || number > high) {
    return Bad(value, key, absl::StrCat("must be between ", low, " and ", high));
  }
  out = static_cast<int>(number);
  return absl::OkStatus();
}

// An array of pinned image patterns; a bad entry is reported at its own line.
absl::Status ReadPinnedImages(const toml::value& value, absl::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> entries;
  if (absl::Status s = ReadStringArray(value, key, entries); !s.ok()) return s;
  for (size_t i = 0; i < entries.size(); ++i) {
    absl::StatusOr<PinnedImagePattern> pattern = ParsePinnedImagePattern(entries[i]);
    if (!pattern.ok()) return Bad(value.as_array()[i], key, pattern.status().message());
  }
  out = std::move(entries);
  return absl::OkStatus();
}

absl::Status ApplyImage(const toml::value& table, Config& config) {
  if (absl::Status s = RequireTable(table, "image"); !s.ok()) return s;
  for (const auto& [key, value] : table.as_table()) {
    const std::string full = absl::StrCat("image.", key);
    absl::Status s;
    if (key == "search_registries") {
      s = ReadStringArray(value, full, config.image.search_registries);
    } else if (key == "max_concurrent_downloads") {
      s = ReadInt(value, full, 1, 64, config.image.max_concurrent_downloads);
    } else if (key == "pinned_images") {
      s = ReadPinnedImages(value, full, config.image.pinned_images);
    } else {
      s = Bad(value, full, "unknown key");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyRegistry(const std::string& host, const toml::value& table, Config& config) {
  const std::string prefix = absl::StrCat("registries.\"", host, "\"");
  if (absl::Status s = RequireTable(table, prefix); !s.ok()) return s;
  RegistryConfig& registry = config.image.registries[host];
  for (const auto& [key, value] : table.as_table()) {
    const std::string full = absl::StrCat(prefix, ".", key);
    absl::Status s;
    if (key == "mirrors") {
      s = ReadStringArray(value, full, registry.mirrors);
    } else if (key == "insecure") {
      s = ReadBool(value, full, registry.insecure);
    } else if (key == "ca_file") {
      s = ReadString(value, full, registry.ca_file);
    } else if (key == "timeout") {
      s = ReadInt(value, full, 1, 3600, registry.timeout);
    } else {
      s = Bad(value, full, "unknown key");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Validates a top-level string with `check` (which returns the reason) and stores it.
absl::Status ReadChecked(const toml::value& value, absl::string_view key,
                         absl::Status (*check)(absl::string_view), std::string& out) {
  std::string text;
  if (absl::Status s = ReadString(value, key, text); !s.ok()) return s;
  if (absl::Status s = check(text); !s.ok()) return Bad(value, key, s.message());
  out = std::move(text);
  return absl::OkStatus();
}

absl::Status ApplyStreaming(const toml::value& table, Config& config) {
  if (absl::Status s = RequireTable(table, "streaming"); !s.ok()) return s;
  for (const auto& [key, value] : table.as_table()) {
    const std::string full = absl::StrCat("streaming.", key);
    absl::Status s;
    if (key == "address") {
      s = ReadChecked(value, full, ValidateIpAddress, config.streaming.address);
    } else if (key == "port") {
      s = ReadInt(value, full, 0, 65535, config.streaming.port);
    } else if (key == "idle_timeout") {
      s = ReadInt(value, full, 0, 604800, config.streaming.idle_timeout);
    } else {
      s = Bad(value, full, "unknown key");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyCdi(const toml::value& table, Config& config) {
  if (absl::Status s = RequireTable(table, "cdi"); !s.ok()) return s;
  for (const auto& [key, value] : table.as_table()) {
    const std::string full = absl::StrCat("cdi.", key);
    absl::Status s;
    if (key == "enabled") {
      s = ReadBool(value, full, config.cdi.enabled);
    } else if (key == "spec_dirs") {
      s = ReadStringArray(value, full, config.cdi.spec_dirs);
      for (const std::string& dir : config.cdi.spec_dirs) {
        if (!s.ok()) break;
        if (absl::Status path = ValidateAbsolutePath(dir); !path.ok()) s = Bad(value, full, path.message());
      }
    } else {
      s = Bad(value, full, "unknown key");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyTopLevel(const std::string& key, const toml::value& value, Config& config) {
  if (key == "root") return ReadChecked(value, key, ValidateAbsolutePath, config.root);
  if (key == "state") return ReadChecked(value, key, ValidateAbsolutePath, config.state);
  if (key == "listen") {
    std::string text;
    if (absl::Status s = ReadString(value, key, text); !s.ok()) return s;
    absl::StatusOr<std::string> path = ParseListenAddress(text);
    if (!path.ok()) return Bad(value, key, path.status().message());
    config.listen = *path;
    return absl::OkStatus();
  }
  if (key == "log_level") return ReadChecked(value, key, ValidateLogLevel, config.log_level);
  if (key == "cgroup_driver") {
    return ReadChecked(value, key, ValidateCgroupDriver, config.cgroup_driver);
  }
  if (key == "shutdown_timeout") return ReadInt(value, key, 1, 3600, config.shutdown_timeout);
  if (key == "default_runtime") return ReadString(value, key, config.default_runtime);
  if (key == "untrusted_workload_runtime") return ReadString(value, key, config.untrusted_workload_runtime);
  if (key == "seccomp_profile_root") {
    return ReadChecked(value, key, ValidateAbsolutePath, config.seccomp_profile_root);
  }
  if (key == "network") return ApplyNetwork(value, config);
  if (key == "streaming") return ApplyStreaming(value, config);
  if (key == "image") return ApplyImage(value, config);
  if (key == "cdi") return ApplyCdi(value, config);
  if (key == "registries") {
    if (absl::Status s = RequireTable(value, key); !s.ok()) return s;
    for (const auto& [host, table] : value.as_table()) {
      if (absl::Status s = ApplyRegistry(host, table, config); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (key == "runtimes") {
    if (absl::Status s = RequireTable(value, key); !s.ok()) return s;
    for (const auto& [name, table] : value.as_table()) {
      if (absl::Status s = ApplyHandler(name, table, config); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  return Bad(value, key, "unknown key");
}

absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status ApplyFile(const fs::path& path, Config& config) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ApplyTomlDocument(*text, path.string(), config);
}

absl::Status ApplyDropIns(const fs::path& dir, bool must_exist, Config& config) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (!must_exist) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("config directory ", dir.string(), " does not exist"));
  }
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir.string());
  if (!entries.ok()) return entries.status();
  for (const util::DirectoryEntry& entry : *entries) {
    const fs::path file = dir / entry.name;
    std::error_code type_error;  // is_regular_file(ec) follows a symlink without throwing
    if (file.extension() != ".toml" || !fs::is_regular_file(file, type_error)) continue;
    if (absl::Status s = ApplyFile(file, config); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyPathFlag(const std::optional<std::string>& flag, absl::string_view name,
                          std::string& out) {
  if (!flag) return absl::OkStatus();
  if (absl::Status s = ValidateAbsolutePath(*flag); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
  }
  out = *flag;
  return absl::OkStatus();
}

absl::Status ApplyFlags(const ConfigSources& sources, Config& config) {
  if (sources.listen) {
    absl::StatusOr<std::string> path = ParseListenAddress(*sources.listen);
    if (!path.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--listen: ", path.status().message()));
    }
    config.listen = *path;
  }
  if (absl::Status s = ApplyPathFlag(sources.root, "--root", config.root); !s.ok()) return s;
  if (absl::Status s = ApplyPathFlag(sources.state, "--state", config.state); !s.ok()) return s;
  if (sources.log_level) {
    if (absl::Status s = ValidateLogLevel(*sources.log_level); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--log-level: ", s.message()));
    }
    config.log_level = *sources.log_level;
  }
  return absl::OkStatus();
}

// OK when `handler` names a [runtimes.<name>] table; the error names `key` and the tables.
absl::Status RequireHandler(absl::string_view key, const std::string& handler, const Config& config) {
  if (config.runtimes.contains(handler)) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& [name, table] : config.runtimes) names.push_back(name);
  return absl::InvalidArgumentError(absl::StrCat(key, ": \"", handler, "\" names no [runtimes.", handler,
                                                 "] table (configured handlers: ", absl::StrJoin(names, ", "), ")"));
}

// Checks what no single layer can and fills values derived from others.
absl::Status Finalize(Config& config) {
  if (absl::Status s = RequireHandler("default_runtime", config.default_runtime, config); !s.ok()) return s;
  if (!config.untrusted_workload_runtime.empty()) {
    if (absl::Status s = RequireHandler("untrusted_workload_runtime", config.untrusted_workload_runtime, config);
        !s.ok()) {
      return s;
    }
  }
  for (auto& [name, handler] : config.runtimes) {
    if (handler.runtime_path.empty()) handler.runtime_path = name;
    if (handler.runtime_root.empty()) {
      handler.runtime_root = (fs::path(config.state) / "runtimes" / name).string();
    }
  }
  return absl::OkStatus();
}

// A TOML document is UTF-8, but toml11 lets any byte through in strings and keys, and a
// configured string that is not UTF-8 would make the verbose Status's JSON dump() throw.
absl::Status CheckUtf8(absl::string_view text, const std::string& origin) {
  int line = 1;
  for (absl::string_view content : absl::StrSplit(text, '\n')) {
    if (!util::IsUtf8(content)) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ":", line, ": invalid TOML: not valid UTF-8"));
    }
    ++line;
  }
  return absl::OkStatus();
}

// toml11 parses arrays and inline tables recursively: a drop-in of ten thousand "[" overflows
// the stack. Outside strings and comments, brackets and braces may nest this deep, far
// beyond any real configuration.
constexpr int kMaxNesting = 64;

absl::Status CheckNesting(absl::string_view text, const std::string& origin) {
  int depth = 0;
  int line = 1;
  size_t i = 0;
  const auto at = [&](absl::string_view token) { return text.substr(i, token.size()) == token; };
  // Moves past `close`, or to the end (toml11 then reports the unterminated string); a
  // one-line string also ends at its line's end.
  const auto skip_string = [&](absl::string_view close, bool escapes, bool one_line) {
    for (; i < text.size(); ++i) {
      if (at(close)) {
        i += close.size();
        return;
      }
      if (text[i] == '\n') {
        if (one_line) return;
        ++line;
      } else if (escapes && text[i] == '\\' && i + 1 < text.size()) {
        if (text[++i] == '\n') ++line;
      }
    }
  };
  while (i < text.size()) {
    const char c = text[i];
    if (at("\"\"\"") || at("'''")) {
      const absl::string_view close = text.substr(i, 3);
      i += 3;
      skip_string(close, c == '"', false);
    } else if (c == '"' || c == '\'') {
      ++i;
      skip_string(c == '"' ? "\"" : "'", c == '"', true);
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      if (c == '\n') ++line;
      if ((c == '[' || c == '{') && ++depth > kMaxNesting) {
        return absl::InvalidArgumentError(absl::StrCat(
            origin, ":", line, ": invalid TOML: arrays and inline tables nest deeper than ", kMaxNesting, " levels"));
      }
      if ((c == ']' || c == '}') && depth > 0) --depth;
      ++i;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyTomlDocument(absl::string_view toml_text, const std::string& origin,
                               Config& config) {
  if (absl::Status s = CheckUtf8(toml_text, origin); !s.ok()) return s;
  if (absl::Status s = CheckNesting(toml_text, origin); !s.ok()) return s;
  toml::value document;
  try {
    std::istringstream stream{std::string(toml_text)};
    document = toml::parse(stream, origin);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": invalid TOML: ", e.what()));
  }
  for (const auto& [key, value] : document.as_table()) {
    if (absl::Status s = ApplyTopLevel(key, value, config); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  if (absl::Status s = ApplyTomlDocument(EmbeddedDefaultToml(), "<embedded cloison.toml>", config);
      !s.ok()) {
    return s;
  }
  std::error_code ec;
  if (sources.config_file) {
    if (absl::Status s = ApplyFile(*sources.config_file, config); !s.ok()) return s;
  } else if (fs::exists(kDefaultConfigPath, ec)) {
    if (absl::Status s = ApplyFile(kDefaultConfigPath, config); !s.ok()) return s;
  }
  const bool dir_explicit = sources.config_dir.has_value();
  if (absl::Status s = ApplyDropIns(sources.config_dir.value_or(kDefaultConfigDir), dir_explicit, config);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ApplyFlags(sources, config); !s.ok()) return s;
  if (absl::Status s = Finalize(config); !s.ok()) return s;
  return config;
}

}  // namespace cloison::config
