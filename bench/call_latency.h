// Latency of repeated, side-effect-free CRI calls (List*, ContainerStatus, ExecSync) measured
// with Google Benchmark: each call is one repetition of a one-iteration, manually timed
// benchmark, so the aggregates are over single calls. Prints <name>_median_ms, <name>_p95_ms,
// <name>_mean_ms and <name>_calls for each; a failing call prints an "error:" line instead.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace cloison::bench {

struct TimedCall {
  std::string name;                      // result key prefix, e.g. "list_containers"
  std::function<grpc::Status()> call;    // one call; a non-OK status stops this benchmark
};

// Runs `calls` calls of each (after one untimed warm-up call); false if any failed.
bool MeasureCallLatency(const std::vector<TimedCall>& timed_calls, int calls);

}  // namespace cloison::bench
