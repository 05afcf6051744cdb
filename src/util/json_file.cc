#include "cloison/util/json_file.h"

#include "absl/strings/str_cat.h"
#include "cloison/util/atomic_file.h"

namespace cloison::util {

absl::StatusOr<nlohmann::json> ReadJsonObjectFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::DataLossError(absl::StrCat(path, " is not a JSON object"));
  return doc;
}

}  // namespace cloison::util
