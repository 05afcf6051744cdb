// cri-bench: a small CRI v1 client that times cloisond's calls. Run on demand, never by the
// tests (see bench/README.md). Output is one "key: value" per line; times are in milliseconds
// unless the key ends in "_s".
//
//   cri-bench --socket PATH pull --image REF [--repeat N] [--fresh]
//   cri-bench --socket PATH pods --image REF --count N [--log-dir DIR] [--handler H]
//                                [--daemon-pid PID] [--list-calls N] [--keep] [--per-pod]
//   cri-bench --socket PATH list [--count N]
//
// Exit code: 0 if every call succeeded, 1 if a call failed, 2 on bad usage.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cloison/cri/api.h"
#include "grpcpp/grpcpp.h"

namespace {

namespace v1 = ::runtime::v1;
using Clock = std::chrono::steady_clock;

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
const std::vector<std::string> kBooleanFlags = {"fresh", "keep", "per-pod", "help"};

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: cri-bench --socket PATH COMMAND [options]\n"
               "  pull --image REF [--repeat N] [--fresh]\n"
               "      PullImage N times (default 1); --fresh removes the image before each pull.\n"
               "  pods --image REF --count N [--log-dir DIR] [--handler H] [--daemon-pid PID]\n"
               "       [--list-calls N] [--keep] [--per-pod]\n"
               "      N pods of one busybox `sleep 3600` container each: start latency (RunPodSandbox +\n"
               "      CreateContainer + StartContainer), List latencies, RSS, teardown time.\n"
               "  list [--count N]\n"
               "      ListContainers latency over N calls (default 200).\n"
               "common options: --socket PATH (or unix:///PATH), --timeout SECONDS (per call, default 600)\n");
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

// --- output and statistics -----------------------------------------------------------------

void Print(const std::string& key, const std::string& value) {
  std::printf("%s: %s\n", key.c_str(), value.c_str());
  std::fflush(stdout);
}
void PrintMs(const std::string& key, double ms) { Print(key, absl::StrFormat("%.3f", ms)); }
void PrintInt(const std::string& key, long long value) { Print(key, std::to_string(value)); }

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Nearest-rank percentile (p in [0, 100]) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  if (p <= 0) return values.front();
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

// The median (mean of the two middle values for an even count).
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

// --- /proc ---------------------------------------------------------------------------------

// VmRSS of `pid` in KiB, or -1 if the process is gone or has no VmRSS line.
long long RssKib(long pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

struct ProcessGroupRss {
  long count = 0;
  long long total_kib = 0;
};

// Sum of VmRSS over every process whose /proc/<pid>/comm is `comm`.
ProcessGroupRss RssOfComm(const std::string& comm) {
  ProcessGroupRss result;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return result;
  while (const dirent* entry = readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm_file("/proc/" + name + "/comm");
    std::string process_comm;
    if (!std::getline(comm_file, process_comm) || process_comm != comm) continue;
    const long long rss = RssKib(std::atol(name.c_str()));
    if (rss < 0) continue;
    ++result.count;
    result.total_kib += rss;
  }
  closedir(proc);
  return result;
}

// Prints <prefix>_daemon_rss_kib and the cloison-monitor totals.
void PrintRss(const std::string& prefix, long daemon_pid) {
  if (daemon_pid > 0) PrintInt(prefix + "daemon_rss_kib", RssKib(daemon_pid));
  const ProcessGroupRss monitors = RssOfComm("cloison-monitor");
  PrintInt(prefix + "monitor_count", monitors.count);
  PrintInt(prefix + "monitor_rss_total_kib", monitors.total_kib);
  PrintInt(prefix + "monitor_rss_avg_kib", monitors.count > 0 ? monitors.total_kib / monitors.count : 0);
}

// --- CRI client ----------------------------------------------------------------------------

class Client {
 public:
  Client(const std::string& socket, int timeout_s) : timeout_s_(timeout_s) {
    const std::string target = socket.rfind("unix:", 0) == 0 ? socket : "unix://" + socket;
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), channel_args);
    runtime_ = v1::RuntimeService::NewStub(channel_);
    images_ = v1::ImageService::NewStub(channel_);
  }

  bool WaitConnected(int seconds) {
    return channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  }

  // Calls stub->*method(request) with this client's deadline.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s_));
    return (stub->*method)(&context, request, response);
  }

  v1::RuntimeService::Stub* runtime() { return runtime_.get(); }
  v1::ImageService::Stub* images() { return images_.get(); }

 private:
  int timeout_s_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

std::string Describe(const grpc::Status& status) {
  static const char* const kNames[] = {
      "OK",           "CANCELLED",      "UNKNOWN",   "INVALID_ARGUMENT",  "DEADLINE_EXCEEDED",
      "NOT_FOUND",    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
      "DATA_LOSS",    "UNAUTHENTICATED"};
  const int code = static_cast<int>(status.error_code());
  const std::string name = code >= 0 && code <= 16 ? kNames[code] : std::to_string(code);
  return name + ": " + status.error_message();
}

// Reports a failed call on stderr and as an "error" line; returns false.
bool Failed(const std::string& what, const grpc::Status& status) {
  std::fprintf(stderr, "cri-bench: %s failed: %s\n", what.c_str(), Describe(status).c_str());
  Print("error", what + ": " + Describe(status));
  return false;
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
    return client.Call(client.images(), &v1::ImageService::Stub::RemoveImage, request, &response);
  };

  if (fresh) {
    // Start from an empty store for this image; NOT_FOUND is fine.
    const grpc::Status status = remove();
    if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
      Failed("RemoveImage", status);
      return 1;
    }
  }

  std::vector<double> seconds;
  std::string image_ref;
  for (long i = 1; i <= repeat; ++i) {
    if (fresh && i > 1) {
      const grpc::Status status = remove();
      if (!status.ok()) {
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

// --- list ----------------------------------------------------------------------------------

// Times `calls` ListContainers calls; prints <prefix>_median_ms etc. and the item count.
bool TimeListContainers(Client& client, long calls, const std::string& prefix) {
  std::vector<double> ms;
  int items = 0;
  for (long i = 0; i < calls; ++i) {
    v1::ListContainersRequest request;
    v1::ListContainersResponse response;
    const Clock::time_point start = Clock::now();
    const grpc::Status status =
        client.Call(client.runtime(), &v1::RuntimeService::Stub::ListContainers, request, &response);
    ms.push_back(MsSince(start));
    if (!status.ok()) return Failed("ListContainers", status);
    items = response.containers_size();
  }
  PrintInt(prefix + "_items", items);
  PrintInt(prefix + "_calls", calls);
  PrintStats(prefix, ms);
  return true;
}

bool TimeListPodSandbox(Client& client, long calls, const std::string& prefix) {
  std::vector<double> ms;
  int items = 0;
  for (long i = 0; i < calls; ++i) {
    v1::ListPodSandboxRequest request;
    v1::ListPodSandboxResponse response;
    const Clock::time_point start = Clock::now();
    const grpc::Status status =
        client.Call(client.runtime(), &v1::RuntimeService::Stub::ListPodSandbox, request, &response);
    ms.push_back(MsSince(start));
    if (!status.ok()) return Failed("ListPodSandbox", status);
    items = response.items_size();
  }
  PrintInt(prefix + "_items", items);
  PrintInt(prefix + "_calls", calls);
  PrintStats(prefix, ms);
  return true;
}

int CmdList(Client& client, const Args& args) {
  return TimeListContainers(client, std::max(1L, args.GetInt("count", 200)), "list_containers") ? 0 : 1;
}

// --- pods ----------------------------------------------------------------------------------

struct Pod {
  v1::PodSandboxConfig config;
  std::string pod_id;
  std::string container_id;
};

v1::PodSandboxConfig MakePodConfig(long index, const std::string& log_root, const std::string& run_id) {
  const std::string name = "pod-" + std::to_string(index);
  const std::string uid = "bench-" + run_id + "-" + std::to_string(index);
  v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_("bench");
  config.mutable_metadata()->set_uid(uid);
  config.mutable_metadata()->set_attempt(0);
  config.set_hostname(name);
  // kubelet's layout: /var/log/pods/<namespace>_<name>_<uid>
  config.set_log_directory(log_root + "/bench_" + name + "_" + uid);
  (*config.mutable_labels())["app"] = "cri-bench";
  (*config.mutable_labels())["io.kubernetes.pod.name"] = name;
  (*config.mutable_labels())["io.kubernetes.pod.namespace"] = "bench";
  (*config.mutable_labels())["io.kubernetes.pod.uid"] = uid;
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::NamespaceMode::CONTAINER);
  return config;
}

v1::ContainerConfig MakeContainerConfig(const std::string& image) {
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("sleep");
  config.mutable_metadata()->set_attempt(0);
  config.mutable_image()->set_image(image);
  config.add_command("sleep");
  config.add_args("3600");
  config.set_log_path("sleep.log");
  (*config.mutable_labels())["io.kubernetes.container.name"] = "sleep";
  return config;
}

// StopContainer(0), RemoveContainer, StopPodSandbox, RemovePodSandbox for what `pod` holds.
bool TearDown(Client& client, const Pod& pod) {
  bool ok = true;
  if (!pod.container_id.empty()) {
    v1::StopContainerRequest stop;
    stop.set_container_id(pod.container_id);
    stop.set_timeout(0);
    v1::StopContainerResponse stopped;
    grpc::Status status = client.Call(client.runtime(), &v1::RuntimeService::Stub::StopContainer, stop, &stopped);
    if (!status.ok()) ok = Failed("StopContainer " + pod.container_id, status);
    v1::RemoveContainerRequest remove;
    remove.set_container_id(pod.container_id);
    v1::RemoveContainerResponse removed;
    status = client.Call(client.runtime(), &v1::RuntimeService::Stub::RemoveContainer, remove, &removed);
    if (!status.ok()) ok = Failed("RemoveContainer " + pod.container_id, status);
  }
  if (!pod.pod_id.empty()) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod.pod_id);
    v1::StopPodSandboxResponse stopped;
    grpc::Status status = client.Call(client.runtime(), &v1::RuntimeService::Stub::StopPodSandbox, stop, &stopped);
    if (!status.ok()) ok = Failed("StopPodSandbox " + pod.pod_id, status);
    v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(pod.pod_id);
    v1::RemovePodSandboxResponse removed;
    status = client.Call(client.runtime(), &v1::RuntimeService::Stub::RemovePodSandbox, remove, &removed);
    if (!status.ok()) ok = Failed("RemovePodSandbox " + pod.pod_id, status);
  }
  return ok;
}

int CmdPods(Client& client, const Args& args) {
  const std::string image = args.Get("image");
  const long count = args.GetInt("count", 0);
  if (image.empty() || count <= 0) {
    std::fprintf(stderr, "cri-bench pods: --image REF and --count N (> 0) are required\n");
    return 2;
  }
  const std::string run_id = std::to_string(getpid());
  std::string log_root = args.Get("log-dir", "/tmp/cri-bench-logs-" + run_id);
  log_root = std::filesystem::absolute(log_root).lexically_normal().string();
  const std::string handler = args.Get("handler");
  const long daemon_pid = args.GetInt("daemon-pid", 0);
  const long list_calls = std::max(1L, args.GetInt("list-calls", 200));
  std::error_code ec;
  std::filesystem::create_directories(log_root, ec);

  Print("image", image);
  PrintInt("pods", count);
  Print("handler", handler.empty() ? "(default)" : handler);
  Print("log_dir", log_root);
  PrintRss("idle_", daemon_pid);

  std::vector<Pod> pods;
  std::vector<double> start_ms, run_pod_ms, create_ms, start_container_ms;
  bool ok = true;
  const Clock::time_point all_start = Clock::now();
  for (long i = 1; i <= count && ok; ++i) {
    Pod& pod = pods.emplace_back();
    pod.config = MakePodConfig(i, log_root, run_id);
    std::filesystem::create_directories(pod.config.log_directory(), ec);

    const Clock::time_point t0 = Clock::now();
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = pod.config;
    run.set_runtime_handler(handler);
    v1::RunPodSandboxResponse ran;
    grpc::Status status = client.Call(client.runtime(), &v1::RuntimeService::Stub::RunPodSandbox, run, &ran);
    const Clock::time_point t1 = Clock::now();
    if (!status.ok()) {
      ok = Failed("RunPodSandbox pod-" + std::to_string(i), status);
      break;
    }
    pod.pod_id = ran.pod_sandbox_id();

    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod.pod_id);
    *create.mutable_config() = MakeContainerConfig(image);
    *create.mutable_sandbox_config() = pod.config;
    v1::CreateContainerResponse created;
    status = client.Call(client.runtime(), &v1::RuntimeService::Stub::CreateContainer, create, &created);
    const Clock::time_point t2 = Clock::now();
    if (!status.ok()) {
      ok = Failed("CreateContainer pod-" + std::to_string(i), status);
      break;
    }
    pod.container_id = created.container_id();

    v1::StartContainerRequest start;
    start.set_container_id(pod.container_id);
    v1::StartContainerResponse started;
    status = client.Call(client.runtime(), &v1::RuntimeService::Stub::StartContainer, start, &started);
    const Clock::time_point t3 = Clock::now();
    if (!status.ok()) {
      ok = Failed("StartContainer pod-" + std::to_string(i), status);
      break;
    }
    auto ms = [](Clock::time_point a, Clock::time_point b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    run_pod_ms.push_back(ms(t0, t1));
    create_ms.push_back(ms(t1, t2));
    start_container_ms.push_back(ms(t2, t3));
    start_ms.push_back(ms(t0, t3));
    if (args.Has("per-pod")) {
      Print(absl::StrFormat("pod_%d_start_ms", i),
            absl::StrFormat("%.3f (run %.3f, create %.3f, start %.3f)", ms(t0, t3), ms(t0, t1), ms(t1, t2),
                            ms(t2, t3)));
    }
  }
  const double all_ms = MsSince(all_start);

  PrintInt("pods_started", static_cast<long long>(start_ms.size()));
  if (!start_ms.empty()) {
    PrintMs("pods_start_total_ms", all_ms);
    PrintStats("pod_start", start_ms);
    PrintMs("run_pod_sandbox_median_ms", Median(run_pod_ms));
    PrintMs("create_container_median_ms", Median(create_ms));
    PrintMs("start_container_median_ms", Median(start_container_ms));
  }

  if (ok) {
    ok = TimeListContainers(client, list_calls, "list_containers") &&
         TimeListPodSandbox(client, list_calls, "list_pod_sandbox");
    PrintRss("", daemon_pid);
    const ProcessGroupRss monitors = RssOfComm("cloison-monitor");
    if (!start_ms.empty()) {
      PrintInt("monitor_rss_per_container_kib", monitors.total_kib / static_cast<long long>(start_ms.size()));
    }
  }

  if (args.Has("keep")) {
    Print("teardown", "skipped (--keep)");
    return ok ? 0 : 1;
  }
  std::vector<double> teardown_ms;
  const Clock::time_point teardown_start = Clock::now();
  for (const Pod& pod : pods) {
    const Clock::time_point t0 = Clock::now();
    if (!TearDown(client, pod)) ok = false;
    teardown_ms.push_back(MsSince(t0));
  }
  PrintMs("teardown_total_ms", MsSince(teardown_start));
  PrintStats("pod_teardown", teardown_ms);
  if (daemon_pid > 0) PrintInt("after_teardown_daemon_rss_kib", RssKib(daemon_pid));
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Args> args = ParseArgs(argc, argv);
  if (!args) {
    Usage(stderr);
    return 2;
  }
  if (args->Has("help") || args->command == "help") {
    Usage(stdout);
    return 0;
  }
  const std::string socket = args->Get("socket", "/run/cloison/cloison.sock");
  if (args->command.empty()) {
    Usage(stderr);
    return 2;
  }
  const int timeout_s = static_cast<int>(std::max(1L, args->GetInt("timeout", 600)));
  Client client(socket, timeout_s);
  if (!client.WaitConnected(10)) {
    std::fprintf(stderr, "cri-bench: cannot connect to %s\n", socket.c_str());
    return 1;
  }
  if (args->command == "pull") return CmdPull(client, *args);
  if (args->command == "pods") return CmdPods(client, *args);
  if (args->command == "list") return CmdList(client, *args);
  std::fprintf(stderr, "cri-bench: unknown command '%s'\n", args->command.c_str());
  Usage(stderr);
  return 2;
}
