#include "call_latency.h"

#include <algorithm>

#include "benchmark/benchmark.h"
#include "bench_client.h"
#include "bench_output.h"

namespace cloison::bench {
namespace {

double P95(const std::vector<double>& values) { return Percentile(values, 95); }

// Prints the aggregates as "key: value" lines (Google Benchmark's own table is not printed).
class KeyValueReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const std::string& name = run.run_name.function_name;
      if (run.error_occurred) {
        Print("error", name + ": " + run.error_message);
        failed_ = true;
        continue;
      }
      if (run.run_type != Run::RT_Aggregate) continue;
      if (run.aggregate_name == "median" || run.aggregate_name == "p95" || run.aggregate_name == "mean") {
        PrintMs(name + "_" + run.aggregate_name + "_ms", run.GetAdjustedRealTime());
        if (run.aggregate_name == "median") PrintInt(name + "_calls", run.repetitions);
      }
    }
  }

  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

}  // namespace

bool MeasureCallLatency(const std::vector<TimedCall>& timed_calls, int calls) {
  for (const TimedCall& timed : timed_calls) {
    if (grpc::Status warm_up = timed.call(); !warm_up.ok()) return Failed(timed.name, warm_up);
    benchmark::RegisterBenchmark(timed.name.c_str(),
                                 [&timed](benchmark::State& state) {
                                   for (auto _ : state) {
                                     const Clock::time_point start = Clock::now();
                                     const grpc::Status status = timed.call();
                                     state.SetIterationTime(MsSince(start) / 1000);
                                     if (!status.ok()) state.SkipWithError(Describe(status).c_str());
                                   }
                                 })
        ->Iterations(1)
        ->Repetitions(std::max(1, calls))
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->ComputeStatistics("p95", P95)
        ->ReportAggregatesOnly(true);
  }
  KeyValueReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  return !reporter.failed();
}

}  // namespace cloison::bench
