#include "cloison/network/cni_result.h"

#include <arpa/inet.h>

#include "absl/strings/str_cat.h"
#include "cloison/util/json_fields.h"

namespace cloison::network {
namespace {

bool IsIp(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// True when the entry names an interface that is known to be outside the pod.
bool OnHostInterface(const nlohmann::json& ip, const nlohmann::json& result) {
  if (!ip.contains("interface") || !ip.at("interface").is_number_integer() || !result.contains("interfaces")) {
    return false;
  }
  const nlohmann::json& interfaces = result.at("interfaces");
  const int64_t i = ip.at("interface").get<int64_t>();
  if (!interfaces.is_array() || i < 0 || static_cast<size_t>(i) >= interfaces.size()) return false;
  const nlohmann::json& interface = interfaces.at(static_cast<size_t>(i));
  // A "sandbox" that is not a string names no netns: the interface counts as the host's.
  return util::StringField(interface, "sandbox", "CNI result interface").value_or("").empty();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PodIpsFromResult(const nlohmann::json& result) {
  std::vector<std::string> ips;
  if (!result.is_object()) return absl::InvalidArgumentError("CNI result: not a JSON object");
  if (!result.contains("ips")) return ips;
  const nlohmann::json& entries = result.at("ips");
  if (!entries.is_array()) return absl::InvalidArgumentError("CNI result: ips: not an array");
  for (size_t i = 0; i < entries.size(); ++i) {
    const nlohmann::json& entry = entries.at(i);
    const nlohmann::json address = entry.is_object() ? entry.value("address", nlohmann::json()) : nlohmann::json();
    const std::string cidr = address.is_string() ? address.get<std::string>() : "";
    const std::string ip = cidr.substr(0, cidr.find('/'));
    if (!IsIp(ip) || cidr.find('/') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("CNI result: ips[", i, "].address \"", cidr, "\": not an IP/prefix"));
    }
    if (!OnHostInterface(entry, result)) ips.push_back(ip);
  }
  return ips;
}

}  // namespace cloison::network
