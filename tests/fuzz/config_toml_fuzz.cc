// cloison.toml drop-ins (an operator's file, applied at start-up and at each SIGHUP): the bytes
// are applied on top of the embedded default, and a configuration that loads must render as
// the verbose Status's JSON and as TOML.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/config/loader.h"
#include "cloison/config/serialize.h"

namespace {

const cloison::config::Config& Default() {
  static const cloison::config::Config config = [] {
    cloison::config::Config built;
    if (!cloison::config::ApplyTomlDocument(cloison::config::EmbeddedDefaultToml(), "embedded", built).ok()) std::abort();
    return built;
  }();
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  cloison::config::Config config = Default();
  if (!cloison::config::ApplyTomlDocument(text, "/etc/cloison/cloison.d/fuzz.toml", config).ok()) return 0;
  (void)cloison::config::ToJson(config).dump();
  (void)cloison::config::ToToml(config);
  return 0;
}
