// Reads the integer fields of a record read back at recovery (a pod sandbox's or container's
// JSON record), which a crash or a disk fault may have damaged. nlohmann::json's get<int>()
// of a float out of int's range is undefined behaviour rather than an exception, so each
// field is checked to be an integer within its member's range. The first bad field is kept:
//   container record: "pid" must be an integer, not float
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cloison/util/json_fields.h"
#include "nlohmann/json.hpp"

namespace cloison::state {

class RecordIntegers {
 public:
  RecordIntegers(const nlohmann::json& record, std::string what) : record_(record), what_(std::move(what)) {}

  // Stores the required field `key` in `out`, unless a field before it failed.
  template <typename T>
  void Read(const char* key, T& out) {
    if (!status_.ok()) return;
    absl::StatusOr<T> value = util::RequiredField<T>(record_, key, what_);
    if (!value.ok()) {
      status_ = absl::DataLossError(value.status().message());
      return;
    }
    out = *value;
  }

  const absl::Status& status() const { return status_; }

 private:
  const nlohmann::json& record_;
  std::string what_;
  absl::Status status_;
};

}  // namespace cloison::state
