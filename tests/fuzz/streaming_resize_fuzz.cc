// A terminal resize from a streaming client: the bytes are a SPDY resize stream (one JSON
// message per line), and each line a WebSocket resize message. Parsing never throws; a size it
// accepts must come back the same from the message a Go client would write for it.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cloison/streaming/terminal_size.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  (void)cloison::streaming::ParseTerminalSize(input);
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    const std::optional<cloison::streaming::TerminalSize> parsed = cloison::streaming::ParseTerminalSize(line);
    if (!parsed) continue;
    const std::string canonical = absl::StrCat(R"({"Width":)", parsed->width, R"(,"Height":)", parsed->height, "}");
    if (cloison::streaming::ParseTerminalSize(canonical) != parsed) std::abort();
  }
  return 0;
}
