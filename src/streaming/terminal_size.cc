#include "cloison/streaming/terminal_size.h"

#include "nlohmann/json.hpp"

namespace cloison::streaming {
namespace {

std::optional<uint16_t> Dimension(const nlohmann::json& message, const char* key) {
  constexpr double kLimit = 65536;
  const auto field = message.find(key);
  if (field == message.end()) return uint16_t{0};
  if (field->is_number_unsigned()) {
    const uint64_t value = field->get<uint64_t>();
    if (value >= static_cast<uint64_t>(kLimit)) return std::nullopt;
    return static_cast<uint16_t>(value);
  }
  if (field->is_number_integer()) {
    const int64_t value = field->get<int64_t>();
    if (value < 0 || value >= static_cast<int64_t>(kLimit)) return std::nullopt;
    return static_cast<uint16_t>(value);
  }
  if (field->is_number_float()) {
    const double value = field->get<double>();
    if (!(value >= 0 && value < kLimit)) return std::nullopt;  // also NaN
    return static_cast<uint16_t>(value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<TerminalSize> ParseTerminalSize(absl::string_view message) {
  const nlohmann::json size = nlohmann::json::parse(message.begin(), message.end(), nullptr, false);
  if (!size.is_object()) return std::nullopt;
  const std::optional<uint16_t> width = Dimension(size, "Width");
  const std::optional<uint16_t> height = Dimension(size, "Height");
  if (!width || !height) return std::nullopt;
  return TerminalSize{*width, *height};
}

}  // namespace cloison::streaming
