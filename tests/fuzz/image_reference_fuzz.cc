// Strings from CRI requests and registry headers: image references (ParseReference and
// ResolveName over a few search registries), registry addresses, AuthConfig fields,
// WWW-Authenticate challenges and HTTP status lines. Nothing may throw; a parsed reference's
// string forms parse back to the same reference.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cloison/image/http_client.h"
#include "cloison/image/reference.h"
#include "cloison/image/registry_auth.h"

namespace cloison::image {
namespace {

// `text`, one of `ref`'s string forms ("" when it has none), must parse back to `ref`, less the
// tag or the digest that form leaves out.
void CheckReparses(const std::string& text, const Reference& ref) {
  if (text.empty()) return;
  absl::StatusOr<Reference> again = ParseReference(text);
  if (!again.ok()) std::abort();
  Reference expected = ref;
  if (text == ref.TaggedString()) expected.digest.clear();
  if (text == ref.DigestedString()) expected.tag.clear();
  if (*again != expected) std::abort();
}

void CheckReference(absl::string_view input) {
  const std::vector<std::string> search = {"docker.io", "quay.io:443", "[::1]:5000", "localhost"};
  absl::StatusOr<std::vector<Reference>> candidates = ResolveName(input, search);
  if (!candidates.ok()) return;
  for (const Reference& ref : *candidates) {
    if (ref.tag.empty() && ref.digest.empty()) std::abort();
    CheckReparses(ref.String(), ref);
    CheckReparses(ref.TaggedString(), ref);
    CheckReparses(ref.DigestedString(), ref);
  }
}

void FuzzOne(absl::string_view input) {
  CheckReference(input);
  (void)IsLoopbackRegistry(input);
  (void)RegistryHost(input);
  (void)CredentialsFromAuthConfig("", "", input, "", "", input);
  (void)ParseWwwAuthenticate(input);
  const long status = StatusCodeOfLine(input);
  if (status < 0 || status > 999) std::abort();
}

}  // namespace
}  // namespace cloison::image

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cloison::image::FuzzOne(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
