#include "bench_output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace cloison::bench {

void Print(const std::string& key, const std::string& value) {
  std::printf("%s: %s\n", key.c_str(), value.c_str());
  std::fflush(stdout);
}

void PrintMs(const std::string& key, double ms) { Print(key, absl::StrFormat("%.3f", ms)); }

void PrintInt(const std::string& key, long long value) { Print(key, std::to_string(value)); }

double MsBetween(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double MsSince(Clock::time_point start) { return MsBetween(start, Clock::now()); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  if (p <= 0) return values.front();
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void PrintStats(const std::string& prefix, const std::vector<double>& ms) {
  if (ms.empty()) return;
  PrintMs(prefix + "_median_ms", Median(ms));
  PrintMs(prefix + "_p95_ms", Percentile(ms, 95));
  PrintMs(prefix + "_min_ms", Percentile(ms, 0));
  PrintMs(prefix + "_max_ms", Percentile(ms, 100));
}

}  // namespace cloison::bench
