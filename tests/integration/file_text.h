// A file's whole text for the integration tests' checks (logs, /proc entries, records).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace cloison::testing {

// The file's text; "" when it cannot be read.
inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace cloison::testing
