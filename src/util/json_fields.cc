#include "cloison/util/json_fields.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace cloison::util {
namespace {

using nlohmann::json;

absl::Status WrongType(const json& value, absl::string_view key, absl::string_view where, absl::string_view wanted) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": \"", key, "\" must be ", wanted, ", not ", value.type_name()));
}

// The field's value, nullptr when it is missing or null, or an error when `object` is no object.
absl::StatusOr<const json*> Lookup(const json& object, absl::string_view key, absl::string_view where) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " must be a JSON object, not ", object.type_name()));
  }
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

absl::StatusOr<std::string> StringField(const json& object, absl::string_view key, absl::string_view where,
                                        std::string fallback) {
  absl::StatusOr<const json*> value = Lookup(object, key, where);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return fallback;
  if (!(*value)->is_string()) return WrongType(**value, key, where, "a string");
  return (*value)->get_ref<const std::string&>();
}

absl::StatusOr<int64_t> IntegerField(const json& object, absl::string_view key, absl::string_view where,
                                     int64_t fallback) {
  absl::StatusOr<const json*> value = Lookup(object, key, where);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return fallback;
  const json& number = **value;
  if (number.is_number_unsigned()) {
    const uint64_t unsigned_value = number.get<uint64_t>();
    if (unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": \"", key, "\" is out of range: ", unsigned_value));
    }
    return static_cast<int64_t>(unsigned_value);
  }
  if (!number.is_number_integer()) return WrongType(number, key, where, "an integer");
  return number.get<int64_t>();
}

absl::StatusOr<bool> BoolField(const json& object, absl::string_view key, absl::string_view where, bool fallback) {
  absl::StatusOr<const json*> value = Lookup(object, key, where);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return fallback;
  if (!(*value)->is_boolean()) return WrongType(**value, key, where, "a boolean");
  return (*value)->get<bool>();
}

}  // namespace cloison::util
