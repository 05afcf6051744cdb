#include "cloison/network/pod_bandwidth.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cloison::network {
namespace {

constexpr uint64_t kMinBandwidth = 1000;                 // 1k
constexpr uint64_t kMaxBandwidth = 1000000000000000ULL;  // 1P
constexpr uint64_t kBurst = std::numeric_limits<uint32_t>::max();

long double SuffixFactor(const std::string& suffix, bool* known) {
  static const std::map<std::string, long double> kFactors = {
      {"", 1.0L},          {"m", 1e-3L},        {"k", 1e3L},         {"M", 1e6L},        {"G", 1e9L},
      {"T", 1e12L},        {"P", 1e15L},        {"E", 1e18L},        {"Ki", 1024.0L},    {"Mi", 1048576.0L},
      {"Gi", 1073741824.0L}, {"Ti", 1099511627776.0L}, {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L}};
  const auto found = kFactors.find(suffix);
  *known = found != kFactors.end();
  return *known ? found->second : 0.0L;
}

}  // namespace

absl::StatusOr<uint64_t> ParseQuantity(const std::string& text) {
  const auto bad = [&text] { return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not a quantity")); };
  size_t end = 0;
  while (end < text.size() && (absl::ascii_isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
  if (end == 0 || text.find('.') != text.rfind('.') || text[0] == '.' || text[end - 1] == '.') return bad();
  long double value = std::strtold(text.substr(0, end).c_str(), nullptr);
  std::string suffix = text.substr(end);
  if (!suffix.empty() && (suffix[0] == 'e' || suffix[0] == 'E') && suffix.size() > 1) {
    char* exponent_end = nullptr;
    const long exponent = std::strtol(suffix.c_str() + 1, &exponent_end, 10);
    if (*exponent_end != '\0' || exponent < -30 || exponent > 30) return bad();
    value *= std::pow(10.0L, static_cast<long double>(exponent));
    suffix.clear();
  }
  bool known = false;
  value *= SuffixFactor(suffix, &known);
  if (!known || value > static_cast<long double>(std::numeric_limits<uint64_t>::max())) return bad();
  return static_cast<uint64_t>(std::ceil(value));
}

absl::StatusOr<nlohmann::json> PodBandwidth(const ::runtime::v1::PodSandboxConfig& config) {
  nlohmann::json bandwidth;
  for (const auto& [annotation, direction] :
       {std::pair{kIngressBandwidthAnnotation, "ingress"}, std::pair{kEgressBandwidthAnnotation, "egress"}}) {
    const auto found = config.annotations().find(annotation);
    if (found == config.annotations().end()) continue;
    absl::StatusOr<uint64_t> rate = ParseQuantity(found->second);
    if (!rate.ok()) return absl::InvalidArgumentError(absl::StrCat("annotation ", annotation, ": ", rate.status().message()));
    if (*rate < kMinBandwidth || *rate > kMaxBandwidth) {
      return absl::InvalidArgumentError(
          absl::StrCat("annotation ", annotation, ": ", found->second, " is not between 1k and 1P bits per second"));
    }
    bandwidth[absl::StrCat(direction, "Rate")] = *rate;
    bandwidth[absl::StrCat(direction, "Burst")] = kBurst;
  }
  return bandwidth;
}

}  // namespace cloison::network
