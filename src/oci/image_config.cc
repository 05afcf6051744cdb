#include "cloison/oci/image_config.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cloison::oci {
namespace {

using nlohmann::json;

absl::Status TypeError(absl::string_view field, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("image config: config.", field, " must be ", expected));
}

// `out` stays empty when the field is missing or null.
absl::Status ReadString(const json& config, const char* field, std::string& out) {
  const auto it = config.find(field);
  if (it == config.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return TypeError(field, "a string");
  out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStringArray(const json& config, const char* field, std::vector<std::string>& out) {
  const auto it = config.find(field);
  if (it == config.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return TypeError(field, "an array of strings");
  for (const json& item : *it) {
    if (!item.is_string()) return TypeError(field, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view blob) {
  const json doc = json::parse(blob.begin(), blob.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("image config: not a JSON object");
  }
  ImageConfig image;
  const auto config_it = doc.find("config");
  if (config_it == doc.end() || config_it->is_null()) return image;
  if (!config_it->is_object()) {
    return absl::InvalidArgumentError("image config: config must be an object");
  }
  const json& config = *config_it;

  if (absl::Status s = ReadStringArray(config, "Env", image.env); !s.ok()) return s;
  if (absl::Status s = ReadStringArray(config, "Entrypoint", image.entrypoint); !s.ok()) return s;
  if (absl::Status s = ReadStringArray(config, "Cmd", image.cmd); !s.ok()) return s;
  if (absl::Status s = ReadString(config, "WorkingDir", image.working_dir); !s.ok()) return s;
  if (absl::Status s = ReadString(config, "User", image.user); !s.ok()) return s;
  if (absl::Status s = ReadString(config, "StopSignal", image.stop_signal); !s.ok()) return s;

  if (const auto it = config.find("Labels"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) return TypeError("Labels", "an object of strings");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) return TypeError("Labels", "an object of strings");
      image.labels.emplace(key, value.get<std::string>());
    }
  }
  if (const auto it = config.find("Volumes"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) return TypeError("Volumes", "an object");
    for (const auto& entry : it->items()) image.volumes.push_back(entry.key());
  }
  return image;
}

}  // namespace cloison::oci
