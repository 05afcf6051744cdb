// What a shim's `start` prints (a bare address, JSON or a protobuf BootstrapResult; a kata shim
// is another project's binary). An address it accepts must be one: non-empty, printable, no
// whitespace.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "cloison/shim/shim_launcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::StatusOr<std::string> address =
      cloison::shim::ParseStartOutput(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!address.ok()) return 0;
  if (address->empty()) std::abort();
  for (const char c : *address) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isspace(byte) || !absl::ascii_isprint(byte)) std::abort();
  }
  return 0;
}
