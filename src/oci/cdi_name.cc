#include "cloison/oci/cdi_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cloison::oci {
namespace {

// Checks `text` against the shared shape: first and last characters, and the characters
// allowed in between (`inner`, besides letters and digits).
absl::Status CheckShape(absl::string_view what, absl::string_view text, bool digit_first,
                        absl::string_view inner) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("empty CDI ", what));
  const bool first_ok = absl::ascii_isalpha(text.front()) || (digit_first && absl::ascii_isdigit(text.front()));
  if (!first_ok) {
    return absl::InvalidArgumentError(absl::StrCat("CDI ", what, " \"", text, "\" must start with a letter",
                                                   digit_first ? " or digit" : ""));
  }
  if (!absl::ascii_isalnum(text.back())) {
    return absl::InvalidArgumentError(
        absl::StrCat("CDI ", what, " \"", text, "\" must end with a letter or digit"));
  }
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && inner.find(c) == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("CDI ", what, " \"", text, "\" has an invalid character '", std::string(1, c), "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCdiVendor(absl::string_view vendor) { return CheckShape("vendor", vendor, false, "-_."); }

absl::Status ValidateCdiClass(absl::string_view device_class) {
  return CheckShape("class", device_class, false, "-_.");
}

absl::Status ValidateCdiDeviceName(absl::string_view name) {
  return CheckShape("device name", name, true, "-_.:");
}

absl::StatusOr<CdiName> ParseCdiKind(absl::string_view kind) {
  const size_t slash = kind.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("CDI kind \"", kind, "\" is not of the form vendor/class"));
  }
  CdiName parsed{std::string(kind.substr(0, slash)), std::string(kind.substr(slash + 1)), ""};
  if (absl::Status s = ValidateCdiVendor(parsed.vendor); !s.ok()) return s;
  if (absl::Status s = ValidateCdiClass(parsed.device_class); !s.ok()) return s;
  return parsed;
}

absl::StatusOr<CdiName> ParseCdiQualifiedName(absl::string_view qualified) {
  const size_t equals = qualified.find('=');
  if (equals == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("CDI device \"", qualified, "\" is not a qualified name (vendor/class=name)"));
  }
  absl::StatusOr<CdiName> parsed = ParseCdiKind(qualified.substr(0, equals));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CDI device \"", qualified, "\": ", parsed.status().message()));
  }
  parsed->name = std::string(qualified.substr(equals + 1));
  if (absl::Status s = ValidateCdiDeviceName(parsed->name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CDI device \"", qualified, "\": ", s.message()));
  }
  return parsed;
}

}  // namespace cloison::oci
