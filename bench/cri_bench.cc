// cri-bench: the CRI v1 client of the benchmarks. Points at any CRI endpoint (cloisond,
// containerd's CRI plugin) and runs one workload; bench/compare-containerd.sh runs the same
// workloads against both and tabulates them (see bench/README.md). Never run by the tests.
// Output is one "key: value" per line; times are in milliseconds unless the key ends in "_s".
//
//   cri-bench --endpoint SOCKET pull --image REF [--repeat N] [--fresh]
//   cri-bench --endpoint SOCKET pods --image REF --count N [pod options] [--daemon-pid PID]
//                                    [--helper-comm COMM --helper-marker TEXT] [--exec-calls N]
//   cri-bench --endpoint SOCKET concurrent --image REF --count N [pod options]
//   cri-bench --endpoint SOCKET latency --image REF --pods P --containers C [--calls N] [pod options]
//   pod options: --log-dir DIR --cgroup-root /PATH --handler H
//
// Exit code: 0 if every call succeeded, 1 if a call failed, 2 on bad usage.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench_client.h"
#include "bench_output.h"
#include "call_latency.h"
#include "cloison/cri/api.h"
#include "pod_workload.h"
#include "process_memory.h"

namespace cloison::bench {
namespace {

namespace v1 = ::runtime::v1;

// --- arguments ---------------------------------------------------------------------------

struct Args {
  std::string command;
  std::map<std::string, std::string> values;  // --key value
  std::vector<std::string> flags;              // --key (no value)

  bool Has(const std::string& key) const {
    return values.contains(key) || std::find(flags.begin(), flags.end(), key) != flags.end();
  }
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    const auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  long GetInt(const std::string& key, long fallback) const {
    const auto it = values.find(key);
    if (it == values.end()) return fallback;
    char* end = nullptr;
    const long value = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0') {
      std::fprintf(stderr, "cri-bench: --%s wants a number, got '%s'\n", key.c_str(), it->second.c_str());
      std::exit(2);
    }
    return value;
  }
};

// Options that take no value; every other --option takes the next argument.
const std::vector<std::string> kBooleanFlags = {"fresh", "help"};

void Usage(FILE* out) {
  std::fprintf(
      out,
      "usage: cri-bench --endpoint SOCKET COMMAND [options]\n"
      "  pull --image REF [--repeat N] [--fresh]\n"
      "      PullImage N times (default 1); --fresh removes the image before each pull.\n"
      "  pods --image REF --count N [--daemon-pid PID] [--helper-comm COMM --helper-marker TEXT]\n"
      "       [--exec-calls N]\n"
      "      N pods of one `sleep 3600` container, one after the other: the time of each call,\n"
      "      daemon RSS idle and with N pods, memory of the per-pod helper processes, ExecSync\n"
      "      latency, teardown time.\n"
      "  concurrent --image REF --count N\n"
      "      N pods started at once (one thread each): wall time until all are started.\n"
      "  latency --image REF --pods P --containers C [--calls N]\n"
      "      P pods of C created containers each, then ListContainers, ListPodSandbox and\n"
      "      ContainerStatus latency (N calls each, default 200).\n"
      "pod options: --log-dir DIR, --cgroup-root /PATH (pod cgroups go under it), --handler H\n"
      "common: --endpoint SOCKET (path or unix:// URL), --timeout SECONDS per call (default 600)\n");
}

std::optional<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      std::string key = arg.substr(2);
      if (const size_t eq = key.find('='); eq != std::string::npos) {
        args.values[key.substr(0, eq)] = key.substr(eq + 1);
      } else if (std::find(kBooleanFlags.begin(), kBooleanFlags.end(), key) != kBooleanFlags.end()) {
        args.flags.push_back(key);
      } else if (i + 1 < argc) {
        args.values[key] = argv[++i];
      } else {
        std::fprintf(stderr, "cri-bench: --%s needs a value\n", key.c_str());
        return std::nullopt;
      }
    } else if (args.command.empty()) {
      args.command = arg;
    } else {
      std::fprintf(stderr, "cri-bench: unexpected argument '%s'\n", arg.c_str());
      return std::nullopt;
    }
  }
  return args;
}

// The pod options shared by pods, concurrent and latency; nullopt (after a message) if --image
// is missing.
std::optional<PodOptions> ParsePodOptions(const Args& args) {
  PodOptions options;
  options.image = args.Get("image");
  if (options.image.empty()) {
    std::fprintf(stderr, "cri-bench %s: --image REF is required\n", args.command.c_str());
    return std::nullopt;
  }
  options.run_id = std::to_string(getpid());
  options.log_root = std::filesystem::absolute(args.Get("log-dir", "/tmp/cri-bench-logs-" + options.run_id))
                         .lexically_normal()
                         .string();
  options.cgroup_root = args.Get("cgroup-root");
  options.handler = args.Get("handler");
  return options;
}

// Tears down every pod; prints pod_teardown_* stats; false if a call failed.
bool TearDownAll(Client& client, const std::vector<Pod>& pods) {
  bool ok = true;
  std::vector<double> ms;
  for (const Pod& pod : pods) {
    const Clock::time_point start = Clock::now();
    if (!TearDown(client, pod)) ok = false;
    ms.push_back(MsSince(start));
  }
  PrintStats("pod_teardown", ms);
  return ok;
}

// --- pull ----------------------------------------------------------------------------------

int CmdPull(Client& client, const Args& args) {
  const std::string image = args.Get("image");
  if (image.empty()) {
    std::fprintf(stderr, "cri-bench pull: --image REF is required\n");
    return 2;
  }
  const long repeat = std::max(1L, args.GetInt("repeat", 1));
  const bool fresh = args.Has("fresh");
  Print("image", image);
  Print("fresh", fresh ? "true" : "false");

  v1::ImageSpec spec;
  spec.set_image(image);
  auto remove = [&]() {
    v1::RemoveImageRequest request;
    *request.mutable_image() = spec;
    v1::RemoveImageResponse response;
    const grpc::Status status = client.Call(client.images(), &v1::ImageService::Stub::RemoveImage, request, &response);
    // Not there yet is fine: the store is as fresh as it gets.
    return status.error_code() == grpc::StatusCode::NOT_FOUND ? grpc::Status::OK : status;
  };

  std::vector<double> seconds;
  std::string image_ref;
  for (long i = 1; i <= repeat; ++i) {
    if (fresh) {
      if (const grpc::Status status = remove(); !status.ok()) {
        Failed("RemoveImage", status);
        return 1;
      }
    }
    v1::PullImageRequest request;
    *request.mutable_image() = spec;
    v1::PullImageResponse response;
    const Clock::time_point start = Clock::now();
    const grpc::Status status = client.Call(client.images(), &v1::ImageService::Stub::PullImage, request, &response);
    const double ms = MsSince(start);
    if (!status.ok()) {
      Failed("PullImage", status);
      return 1;
    }
    image_ref = response.image_ref();
    seconds.push_back(ms / 1000);
    Print(absl::StrFormat("pull_%d_s", i), absl::StrFormat("%.3f", ms / 1000));
  }
  Print("image_ref", image_ref);

  v1::ImageStatusRequest status_request;
  *status_request.mutable_image() = spec;
  v1::ImageStatusResponse status_response;
  if (client.Call(client.images(), &v1::ImageService::Stub::ImageStatus, status_request, &status_response).ok() &&
      status_response.has_image()) {
    PrintInt("image_size_bytes", static_cast<long long>(status_response.image().size()));
  }
  Print("pull_median_s", absl::StrFormat("%.3f", Median(seconds)));
  Print("pull_min_s", absl::StrFormat("%.3f", Percentile(seconds, 0)));
  Print("pull_max_s", absl::StrFormat("%.3f", Percentile(seconds, 100)));
  return 0;
}

// --- pods ----------------------------------------------------------------------------------

void PrintHelpers(const Args& args, long pods) {
  const std::string comm = args.Get("helper-comm");
  if (comm.empty()) return;
  const HelperMemory helpers = MeasureHelpers(comm, args.Get("helper-marker"));
  PrintInt("helper_count", helpers.count);
  PrintInt("helper_rss_kib", helpers.rss_kib);
  PrintInt("helper_pss_kib", helpers.pss_kib);
  if (pods > 0) {
    PrintInt("helper_rss_per_pod_kib", helpers.rss_kib / pods);
    PrintInt("helper_pss_per_pod_kib", helpers.pss_kib / pods);
  }
}

grpc::Status ExecTrue(Client& client, const std::string& container_id) {
  v1::ExecSyncRequest request;
  request.set_container_id(container_id);
  request.add_cmd("true");
  request.set_timeout(10);
  v1::ExecSyncResponse response;
  grpc::Status status = client.Call(client.runtime(), &v1::RuntimeService::Stub::ExecSync, request, &response);
  if (status.ok() && response.exit_code() != 0) {
    return grpc::Status(grpc::StatusCode::UNKNOWN, "`true` exited with " + std::to_string(response.exit_code()));
  }
  return status;
}

int CmdPods(Client& client, const Args& args) {
  const std::optional<PodOptions> options = ParsePodOptions(args);
  const long count = args.GetInt("count", 0);
  if (!options || count <= 0) {
    std::fprintf(stderr, "cri-bench pods: --image REF and --count N (> 0) are required\n");
    return 2;
  }
  const long daemon_pid = args.GetInt("daemon-pid", 0);
  PrintInt("pods", count);
  if (daemon_pid > 0) PrintInt("idle_daemon_rss_kib", RssKib(daemon_pid));

  std::vector<Pod> pods;
  std::vector<double> run_pod_ms, create_ms, start_ms, total_ms;
  bool ok = true;
  for (long i = 1; i <= count && ok; ++i) {
    Pod& pod = pods.emplace_back(NewPod(*options, "pod-" + std::to_string(i)));
    PodStartTimes times;
    ok = StartPod(client, *options, pod, &times);
    if (!ok) break;
    run_pod_ms.push_back(times.run_pod_ms);
    create_ms.push_back(times.create_ms);
    start_ms.push_back(times.start_ms);
    total_ms.push_back(times.total_ms());
  }
  PrintInt("pods_started", static_cast<long long>(total_ms.size()));
  PrintStats("run_pod_sandbox", run_pod_ms);
  PrintStats("create_container", create_ms);
  PrintStats("start_container", start_ms);
  PrintStats("pod_start", total_ms);

  if (ok) {
    if (daemon_pid > 0) PrintInt("daemon_rss_kib", RssKib(daemon_pid));
    PrintHelpers(args, count);
    const std::string first = pods.front().container_ids.front();
    ok = MeasureCallLatency({{"exec_sync", [&] { return ExecTrue(client, first); }}},
                            static_cast<int>(std::max(1L, args.GetInt("exec-calls", 100))));
  }
  if (!TearDownAll(client, pods)) ok = false;
  if (daemon_pid > 0) PrintInt("after_teardown_daemon_rss_kib", RssKib(daemon_pid));
  return ok ? 0 : 1;
}

// --- concurrent ----------------------------------------------------------------------------

int CmdConcurrent(Client& client, const Args& args) {
  const std::optional<PodOptions> options = ParsePodOptions(args);
  const long count = args.GetInt("count", 0);
  if (!options || count <= 0) {
    std::fprintf(stderr, "cri-bench concurrent: --image REF and --count N (> 0) are required\n");
    return 2;
  }
  std::vector<Pod> pods;
  pods.reserve(static_cast<size_t>(count));
  for (long i = 1; i <= count; ++i) pods.push_back(NewPod(*options, "c-pod-" + std::to_string(i)));
  std::vector<char> started(pods.size(), 0);
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < pods.size(); ++i) {
    threads.emplace_back([&, i] {
      PodStartTimes times;
      started[i] = StartPod(client, *options, pods[i], &times) ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double wall_ms = MsSince(start);
  const long running = std::count(started.begin(), started.end(), 1);
  PrintInt("concurrent_pods", count);
  PrintInt("concurrent_started", running);
  if (running == count) PrintMs("concurrent_start_wall_ms", wall_ms);
  const bool torn_down = TearDownAll(client, pods);
  return running == count && torn_down ? 0 : 1;
}

// --- latency -------------------------------------------------------------------------------

int CmdLatency(Client& client, const Args& args) {
  const std::optional<PodOptions> options = ParsePodOptions(args);
  const long pod_count = args.GetInt("pods", 0);
  const long per_pod = args.GetInt("containers", 0);
  if (!options || pod_count <= 0 || per_pod <= 0) {
    std::fprintf(stderr, "cri-bench latency: --image REF, --pods P and --containers C (> 0) are required\n");
    return 2;
  }
  std::vector<Pod> pods;
  bool ok = true;
  const Clock::time_point setup_start = Clock::now();
  for (long p = 1; p <= pod_count && ok; ++p) {
    Pod& pod = pods.emplace_back(NewPod(*options, "l-pod-" + std::to_string(p)));
    ok = RunPod(client, *options, pod, nullptr);
    for (long c = 1; c <= per_pod && ok; ++c) {
      ok = CreateSleeper(client, *options, pod, "c" + std::to_string(c), nullptr);
    }
  }
  long long present = 0;
  for (const Pod& pod : pods) present += static_cast<long long>(pod.container_ids.size());
  PrintInt("containers_present", present);
  PrintMs("setup_ms", MsSince(setup_start));
  if (ok) {
    const std::string some_container = pods[pods.size() / 2].container_ids.back();
    auto list_containers = [&] {
      v1::ListContainersRequest request;
      v1::ListContainersResponse response;
      grpc::Status status =
          client.Call(client.runtime(), &v1::RuntimeService::Stub::ListContainers, request, &response);
      if (status.ok() && response.containers_size() < present) {
        return grpc::Status(grpc::StatusCode::UNKNOWN, "ListContainers returned too few containers");
      }
      return status;
    };
    auto list_pods = [&] {
      v1::ListPodSandboxRequest request;
      v1::ListPodSandboxResponse response;
      return client.Call(client.runtime(), &v1::RuntimeService::Stub::ListPodSandbox, request, &response);
    };
    auto container_status = [&] {
      v1::ContainerStatusRequest request;
      request.set_container_id(some_container);
      v1::ContainerStatusResponse response;
      return client.Call(client.runtime(), &v1::RuntimeService::Stub::ContainerStatus, request, &response);
    };
    const int calls = static_cast<int>(std::max(1L, args.GetInt("calls", 200)));
    ok = MeasureCallLatency({{"list_containers", list_containers},
                             {"list_pod_sandbox", list_pods},
                             {"container_status", container_status}},
                            calls);
  }
  if (!TearDownAll(client, pods)) ok = false;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace cloison::bench

int main(int argc, char** argv) {
  using namespace cloison::bench;
  const std::optional<Args> args = ParseArgs(argc, argv);
  if (!args) {
    Usage(stderr);
    return 2;
  }
  if (args->Has("help") || args->command == "help") {
    Usage(stdout);
    return 0;
  }
  const std::string endpoint = args->Get("endpoint");
  if (args->command.empty() || endpoint.empty()) {
    Usage(stderr);
    return 2;
  }
  const int timeout_s = static_cast<int>(std::max(1L, args->GetInt("timeout", 600)));
  Client client(endpoint, timeout_s);
  if (!client.WaitConnected(10)) {
    std::fprintf(stderr, "cri-bench: cannot connect to %s\n", endpoint.c_str());
    return 1;
  }
  if (args->command == "pull") return CmdPull(client, *args);
  if (args->command == "pods") return CmdPods(client, *args);
  if (args->command == "concurrent") return CmdConcurrent(client, *args);
  if (args->command == "latency") return CmdLatency(client, *args);
  std::fprintf(stderr, "cri-bench: unknown command '%s'\n", args->command.c_str());
  Usage(stderr);
  return 2;
}
