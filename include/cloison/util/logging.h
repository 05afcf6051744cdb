// Process-wide logging: spdlog to stderr (journald picks it up under systemd). Include this
// header rather than spdlog's: it also teaches fmt to print absl::string_view and
// absl::Status (Debian's abseil has its own string_view type, not std::string_view).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view text, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()), ctx);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<fmt::string_view> {
  auto format(const absl::Status& status, fmt::format_context& ctx) const {
    const std::string text = status.ToString();
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text), ctx);
  }
};

namespace cloison::util {

// Installs the stderr logger as spdlog's default. Call once, before any thread starts.
void SetupLogging(std::string_view level);

// Changes the level at run time (SIGHUP). `level` must pass config::ValidateLogLevel.
void SetLogLevel(std::string_view level);

}  // namespace cloison::util
