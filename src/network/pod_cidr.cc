#include "cloison/network/pod_cidr.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cloison::network {
namespace {

bool IsCidr(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  const std::string address = cidr.substr(0, slash);
  int prefix = -1;
  if (!absl::SimpleAtoi(cidr.substr(slash + 1), &prefix)) return false;
  unsigned char bytes[16];
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) return prefix >= 0 && prefix <= 32;
  if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) return prefix >= 0 && prefix <= 128;
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParsePodCidrs(const std::string& text) {
  std::vector<std::string> cidrs;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::string cidr(absl::StripAsciiWhitespace(part));
    if (!IsCidr(cidr)) return absl::InvalidArgumentError(absl::StrCat("pod CIDR \"", cidr, "\" is not an IP network in CIDR notation"));
    cidrs.push_back(std::move(cidr));
  }
  return cidrs;
}

nlohmann::json IpRanges(const std::vector<std::string>& cidrs) {
  nlohmann::json ranges = nlohmann::json::array();
  for (const std::string& cidr : cidrs) ranges.push_back(nlohmann::json::array({{{"subnet", cidr}}}));
  return ranges;
}

}  // namespace cloison::network
