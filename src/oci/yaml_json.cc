#include "cloison/oci/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/utf8.h"

namespace cloison::oci {
namespace {

using nlohmann::json;

// A whole-string integer in base 10, 16 (0x), 8 (leading 0 or 0o) or 2 (0b).
bool ParseInteger(const std::string& text, json& out) {
  std::string digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.erase(0, 1);
  }
  if (digits.empty() || digits.find('_') != std::string::npos) return false;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.erase(0, 2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'b')) {
    base = digits[1] == 'o' ? 8 : 2;
    digits.erase(0, 2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long magnitude = std::strtoull(digits.c_str(), &end, base);
  if (errno != 0 || end == digits.c_str() || *end != '\0' || !std::isalnum(static_cast<unsigned char>(digits[0]))) {
    return false;
  }
  if (negative) {
    if (magnitude > 9223372036854775808ULL) return false;
    out = magnitude == 9223372036854775808ULL ? INT64_MIN : -static_cast<int64_t>(magnitude);
  } else {
    out = static_cast<uint64_t>(magnitude);
  }
  return true;
}

bool ParseFloat(const std::string& text, json& out) {
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0') return false;
  out = value;
  return true;
}

json PlainScalar(const std::string& text) {
  static const std::set<std::string> kNull = {"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> kTrue = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> kFalse = {"n", "N",     "no",    "No",  "NO",  "false",
                                               "False", "FALSE", "off", "Off", "OFF"};
  if (kNull.contains(text)) return nullptr;
  if (kTrue.contains(text)) return true;
  if (kFalse.contains(text)) return false;
  json number;
  if (ParseInteger(text, number) || ParseFloat(text, number)) return number;
  return text;
}

// Aliases let a small file describe a huge or endless tree (each alias is expanded where it
// stands, and yaml-cpp lets a node hold an alias of itself), so the conversion has a depth and
// a size budget: every value costs 1, and every string (key or scalar) its length. A file
// without aliases costs less than twice its size.
constexpr int kMaxDepth = 256;
constexpr size_t kBaseBudget = size_t{1} << 20;

class Converter {
 public:
  explicit Converter(size_t text_size) : budget_(kBaseBudget + 2 * text_size) {}

  json Convert(const YAML::Node& node, int depth = 0) {
    if (!status_.ok()) return nullptr;
    if (depth > kMaxDepth) return Fail(absl::StrCat("nested deeper than ", kMaxDepth, " levels"));
    if (!Spend(1)) return nullptr;
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        json object = json::object();
        for (const auto& item : node) {
          const std::string key = item.first.as<std::string>();
          if (!Spend(key.size()) || !CheckUtf8(key)) return nullptr;
          object[key] = Convert(item.second, depth + 1);
          if (!status_.ok()) return nullptr;
        }
        return object;
      }
      case YAML::NodeType::Sequence: {
        json array = json::array();
        for (const YAML::Node& item : node) {
          array.push_back(Convert(item, depth + 1));
          if (!status_.ok()) return nullptr;
        }
        return array;
      }
      case YAML::NodeType::Scalar:
        if (!Spend(node.Scalar().size()) || !CheckUtf8(node.Scalar())) return nullptr;
        // yaml-cpp tags quoted (non-plain) scalars "!": they are strings whatever they hold.
        return node.Tag() == "!" ? json(node.Scalar()) : PlainScalar(node.Scalar());
      default:
        return nullptr;
    }
  }

  const absl::Status& status() const { return status_; }

 private:
  json Fail(absl::string_view reason) {
    status_ = absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", reason));
    return nullptr;
  }

  bool Spend(size_t cost) {
    if (cost > budget_ - spent_) {
      Fail(absl::StrCat("larger than ", budget_, " bytes once its aliases are expanded"));
      return false;
    }
    spent_ += cost;
    return true;
  }

  // JSON strings are Unicode: a string that is not UTF-8 would make a later dump() throw.
  bool CheckUtf8(const std::string& text) {
    if (util::IsUtf8(text)) return true;
    Fail(absl::StrCat("the string \"", absl::CHexEscape(absl::string_view(text).substr(0, 64)), "\" is not valid UTF-8"));
    return false;
  }

  const size_t budget_;
  absl::Status status_;
  size_t spent_ = 0;
};

}  // namespace

absl::StatusOr<json> YamlToJson(absl::string_view text) {
  try {
    Converter converter(text.size());
    json document = converter.Convert(YAML::Load(std::string(text)));
    if (!converter.status().ok()) return converter.status();
    return document;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
}

}  // namespace cloison::oci
