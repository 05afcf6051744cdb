#include "cloison/network/cni_config.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "cloison/network/cni_config_dir.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/bounded_json.h"

namespace cloison::network {
namespace {

const std::set<std::string>& SupportedVersions() {
  static const std::set<std::string> versions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return versions;
}

absl::Status Invalid(const std::string& source, absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ": ", reason));
}

absl::StatusOr<std::string> StringField(const nlohmann::json& object, const std::string& key,
                                        const std::string& source, const std::string& field) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Invalid(source, field, "missing or not a non-empty string");
  }
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<NetworkConfigList> ParseNetworkConfig(absl::string_view text, const std::string& source) {
  const absl::StatusOr<nlohmann::json> parsed = util::ParseBoundedJson(text);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(source, ": ", parsed.status().message()));
  const nlohmann::json& json = *parsed;
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  NetworkConfigList list;
  list.source = source;
  absl::StatusOr<std::string> name = StringField(json, "name", source, "name");
  if (!name.ok()) return name.status();
  list.name = *name;
  absl::StatusOr<std::string> version = StringField(json, "cniVersion", source, "cniVersion");
  if (!version.ok()) return version.status();
  if (!SupportedVersions().contains(*version)) {
    return Invalid(source, "cniVersion", absl::StrCat("\"", *version, "\" is not supported (0.3.0 to 1.1.0)"));
  }
  list.cni_version = *version;
  if (auto it = json.find("disableCheck"); it != json.end() && it->is_boolean()) list.disable_check = it->get<bool>();

  if (!json.contains("plugins")) {
    // A single-plugin .conf: the whole object is the plugin.
    if (absl::StatusOr<std::string> type = StringField(json, "type", source, "type"); !type.ok()) return type.status();
    list.plugins.push_back(json);
    return list;
  }
  const nlohmann::json& plugins = json.at("plugins");
  if (!plugins.is_array() || plugins.empty()) return Invalid(source, "plugins", "must be a non-empty array");
  for (size_t i = 0; i < plugins.size(); ++i) {
    const std::string field = absl::StrCat("plugins[", i, "]");
    if (!plugins[i].is_object()) return Invalid(source, field, "not an object");
    if (absl::StatusOr<std::string> type = StringField(plugins[i], "type", source, field + ".type"); !type.ok()) {
      return type.status();
    }
    list.plugins.push_back(plugins[i]);
  }
  return list;
}

absl::StatusOr<NetworkConfigList> LoadDefaultNetwork(const std::string& config_dir) {
  absl::StatusOr<std::string> path = FindDefaultNetworkConfig(config_dir);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> text = util::ReadFile(*path);
  if (!text.ok()) return text.status();
  return ParseNetworkConfig(*text, *path);
}

nlohmann::json NetworkConfigListToJson(const NetworkConfigList& list) {
  return {{"cniVersion", list.cni_version},
          {"name", list.name},
          {"disableCheck", list.disable_check},
          {"plugins", list.plugins}};
}

bool AtLeast040(const std::string& version) { return version != "0.3.0" && version != "0.3.1"; }

}  // namespace cloison::network
