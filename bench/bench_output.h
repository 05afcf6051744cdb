// Output and statistics of cri-bench: one "key: value" line per result on stdout (flushed at
// once, so a crash keeps what was printed), times in milliseconds unless the key ends in "_s".
// Percentiles are nearest-rank; the median of an even count is the mean of the middle two.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace cloison::bench {

using Clock = std::chrono::steady_clock;

void Print(const std::string& key, const std::string& value);
void PrintMs(const std::string& key, double ms);
void PrintInt(const std::string& key, long long value);

double MsBetween(Clock::time_point start, Clock::time_point end);
double MsSince(Clock::time_point start);

// Nearest-rank percentile (p in [0, 100]) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);
double Median(std::vector<double> values);

// <prefix>_median_ms, _p95_ms, _min_ms, _max_ms (nothing when `ms` is empty).
void PrintStats(const std::string& prefix, const std::vector<double>& ms);

}  // namespace cloison::bench
