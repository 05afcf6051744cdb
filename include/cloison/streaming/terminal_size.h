// A remote command's terminal resize message, {"Width":W,"Height":H} as kubectl and crictl
// send it (the WebSocket resize channel, one message each; the SPDY resize stream, one per
// line). It comes from the client, so anything may arrive: ParseTerminalSize never throws and
// gives nullopt for a message that is not a JSON object or whose Width or Height is not a
// number from 0 to 65535 (the sessions ignore such a message, as kubelet stops resizing on
// one). A missing field is 0, which the targets take as "unchanged". A fractional number is
// truncated.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace cloison::streaming {

struct TerminalSize {
  uint16_t width = 0;
  uint16_t height = 0;
  bool operator==(const TerminalSize&) const = default;
};

std::optional<TerminalSize> ParseTerminalSize(absl::string_view message);

}  // namespace cloison::streaming
