// Typed reads of one field of a JSON object that came from outside the daemon: a registry's
// manifest or token answer, an image's config, a CNI plugin's configuration or result, an
// operator's seccomp or CDI file, a streaming client's message. nlohmann::json's value() and
// get<>() throw on a type mismatch, and an exception escaping a call would end cloisond; these
// never throw. A missing or null field gives the fallback; a field of another type, or an
// `object` that is not a JSON object, is INVALID_ARGUMENT naming `where` and the field:
//   manifest layer: "size" must be an integer, not string
// Callers that may ignore a malformed field take `.value_or(fallback)`.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cloison::util {

absl::StatusOr<std::string> StringField(const nlohmann::json& object, absl::string_view key, absl::string_view where,
                                        std::string fallback = "");
// An integral JSON number within int64's range (not a float, a bool or a string).
absl::StatusOr<int64_t> IntegerField(const nlohmann::json& object, absl::string_view key, absl::string_view where,
                                     int64_t fallback = 0);
// IntegerField narrowed to the signed integer type T; a number outside T's range is
// INVALID_ARGUMENT: <where>: "<key>" is out of range: <number>
template <typename T>
absl::StatusOr<T> IntegerFieldAs(const nlohmann::json& object, absl::string_view key, absl::string_view where,
                                 T fallback = 0) {
  static_assert(std::is_integral_v<T> && std::is_signed_v<T>);
  absl::StatusOr<int64_t> value = IntegerField(object, key, where, fallback);
  if (!value.ok()) return value.status();
  if (*value < int64_t{std::numeric_limits<T>::min()} || *value > int64_t{std::numeric_limits<T>::max()}) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", key, "\" is out of range: ", *value));
  }
  return static_cast<T>(*value);
}
absl::StatusOr<bool> BoolField(const nlohmann::json& object, absl::string_view key, absl::string_view where,
                               bool fallback = false);

// A field that must be there (a stored record's): INVALID_ARGUMENT `<where>: "<key>" is missing`
// when it is missing or null, else as StringField (T = std::string) or IntegerFieldAs<T>.
template <typename T>
absl::StatusOr<T> RequiredField(const nlohmann::json& object, absl::string_view key, absl::string_view where) {
  const auto it = object.is_object() ? object.find(std::string(key)) : object.end();
  if (it == object.end() || it->is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", key, "\" is missing"));
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return StringField(object, key, where);
  } else {
    return IntegerFieldAs<T>(object, key, where);
  }
}

}  // namespace cloison::util
