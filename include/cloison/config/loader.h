// Builds the effective Config from its layers: the embedded default cloison.toml, the main
// file, the drop-in directory (lexical order) and the flags, each overriding what it sets.
// Unknown keys, wrong types and bad values fail with "file:line: key: reason".
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/config/config.h"

namespace cloison::config {

inline constexpr char kDefaultConfigPath[] = "/etc/cloison/cloison.toml";
inline constexpr char kDefaultConfigDir[] = "/etc/cloison/cloison.d";

// Where the configuration comes from. Unset optionals fall back to the defaults above
// (a missing default file or directory is fine; a missing explicit one is an error).
struct ConfigSources {
  std::optional<std::string> config_file;
  std::optional<std::string> config_dir;
  // Flag overrides, applied last.
  std::optional<std::string> listen;
  std::optional<std::string> root;
  std::optional<std::string> state;
  std::optional<std::string> log_level;
};

// The cloison.toml compiled into the binary.
absl::string_view EmbeddedDefaultToml();

absl::StatusOr<Config> LoadConfig(const ConfigSources& sources);

// Applies one TOML document on top of `config`. `origin` names it in error messages.
absl::Status ApplyTomlDocument(absl::string_view toml_text, const std::string& origin,
                               Config& config);

}  // namespace cloison::config
