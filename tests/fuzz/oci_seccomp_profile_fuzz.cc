// Seccomp Localhost profiles (an operator's JSON file): the bytes go through the profile
// parser for a process with and without CAP_SYS_ADMIN, the unknown-syscall filter, and the
// result into the OCI spec (dump) and through the compiler the direct ExecSync path uses. The
// compiler also gets the raw document, as a linux.seccomp section of a damaged config.json.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cloison/monitor/seccomp_filter.h"
#include "cloison/oci/seccomp_profile.h"
#include "cloison/util/bounded_json.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  static const std::vector<std::string> kNoCapabilities;
  static const std::vector<std::string> kAdmin = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"};
  for (const std::vector<std::string>* capabilities : {&kNoCapabilities, &kAdmin}) {
    absl::StatusOr<nlohmann::json> profile = cloison::oci::ParseSeccompProfile(text, *capabilities, "fuzz.json");
    if (!profile.ok()) continue;
    (void)cloison::oci::DropUnknownSyscalls(*profile);
    (void)profile->dump();
    (void)cloison::monitor::CompileSeccomp(*profile);
  }
  // Bounded like the documents cloisond reads from outside: the section it compiles is its own
  // (ParseSeccompProfile's output), so no deeper than that.
  const absl::StatusOr<nlohmann::json> raw = cloison::util::ParseBoundedJson(text);
  if (raw.ok() && !raw->is_discarded()) (void)cloison::monitor::CompileSeccomp(*raw);
  return 0;
}
