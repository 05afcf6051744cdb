#include "cloison/stats/stats_collector.h"

#include <filesystem>

#include "cloison/stats/cgroup_stats.h"
#include "cloison/stats/dir_usage.h"
#include "cloison/stats/net_dev.h"
#include "cloison/util/ids.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"
#include "nlohmann/json.hpp"

namespace cloison::stats {
namespace {

namespace v1 = ::runtime::v1;

std::string CgroupsPathOf(const std::string& spec_path) {
  const absl::StatusOr<nlohmann::json> spec = util::ReadJsonObjectFile(spec_path);
  if (!spec.ok() || !spec->contains("linux") || !spec->at("linux").is_object()) return "";
  return spec->at("linux").value("cgroupsPath", "");
}

void Add(std::optional<uint64_t>& total, const std::optional<uint64_t>& value) {
  if (value) total = total.value_or(0) + *value;
}

CgroupSample Sum(const std::vector<CgroupSample>& samples) {
  CgroupSample total;
  for (const CgroupSample& s : samples) {
    Add(total.cpu_usage_ns, s.cpu_usage_ns);
    Add(total.pids, s.pids);
    if (!s.memory) continue;
    MemorySample& m = total.memory ? *total.memory : total.memory.emplace();
    m.usage_bytes += s.memory->usage_bytes;
    m.working_set_bytes += s.memory->working_set_bytes;
    m.rss_bytes += s.memory->rss_bytes;
    m.page_faults += s.memory->page_faults;
    m.major_page_faults += s.memory->major_page_faults;
  }
  return total;
}

void FillCpu(const CgroupSample& sample, int64_t now, std::optional<uint64_t> rate, v1::CpuUsage& out) {
  out.set_timestamp(now);
  if (sample.cpu_usage_ns) out.mutable_usage_core_nano_seconds()->set_value(*sample.cpu_usage_ns);
  if (rate) out.mutable_usage_nano_cores()->set_value(*rate);
}

void FillMemory(const CgroupSample& sample, int64_t now, v1::MemoryUsage& out) {
  out.set_timestamp(now);
  if (!sample.memory) return;
  const MemorySample& m = *sample.memory;
  out.mutable_working_set_bytes()->set_value(m.working_set_bytes);
  out.mutable_usage_bytes()->set_value(m.usage_bytes);
  out.mutable_rss_bytes()->set_value(m.rss_bytes);
  out.mutable_page_faults()->set_value(m.page_faults);
  out.mutable_major_page_faults()->set_value(m.major_page_faults);
  if (m.limit_bytes) {
    out.mutable_available_bytes()->set_value(*m.limit_bytes > m.working_set_bytes ? *m.limit_bytes - m.working_set_bytes
                                                                                   : 0);
  }
}

void FillSwap(const SwapSample& swap, int64_t now, v1::SwapUsage& out) {
  out.set_timestamp(now);
  out.mutable_swap_usage_bytes()->set_value(swap.usage_bytes);
  if (swap.limit_bytes) {
    out.mutable_swap_available_bytes()->set_value(*swap.limit_bytes > swap.usage_bytes ? *swap.limit_bytes - swap.usage_bytes
                                                                                       : 0);
  }
}

void FillInterface(const InterfaceCounters& counters, v1::NetworkInterfaceUsage& out) {
  out.set_name(counters.name);
  out.mutable_rx_bytes()->set_value(counters.rx_bytes);
  out.mutable_rx_errors()->set_value(counters.rx_errors);
  out.mutable_tx_bytes()->set_value(counters.tx_bytes);
  out.mutable_tx_errors()->set_value(counters.tx_errors);
}

bool Running(const container::ContainerRecord& record) {
  return record.state == container::ContainerState::kRunning && record.pid > 0;
}

}  // namespace

StatsCollector::StatsCollector() {
  absl::StatusOr<std::vector<util::CgroupHierarchy>> hierarchies = util::MountedCgroupHierarchies();
  if (hierarchies.ok()) {
    hierarchies_ = *std::move(hierarchies);
  } else {
    spdlog::warn("container stats: cannot list the cgroup hierarchies: {}", hierarchies.status());
  }
}

v1::ContainerStats StatsCollector::ForContainer(const container::ContainerRecord& record, const LayerDir& layer_dir) {
  CgroupSample sample;
  return Build(record, layer_dir, sample);
}

v1::ContainerStats StatsCollector::Build(const container::ContainerRecord& record, const LayerDir& layer_dir,
                                         CgroupSample& sample) {
  v1::ContainerStats out;
  v1::ContainerAttributes& attributes = *out.mutable_attributes();
  attributes.set_id(record.id);
  *attributes.mutable_metadata() = record.config.metadata();
  *attributes.mutable_labels() = record.config.labels();
  *attributes.mutable_annotations() = record.config.annotations();

  const int64_t now = util::NowNanos();
  if (record.state == container::ContainerState::kRunning || record.state == container::ContainerState::kCreated) {
    sample = ReadCgroupSample(hierarchies_, CgroupsPathOf(record.state_dir + "/config.json"));
  }
  std::optional<uint64_t> rate;
  if (sample.cpu_usage_ns) rate = rates_.Rate(record.id, *sample.cpu_usage_ns, now);
  FillCpu(sample, now, rate, *out.mutable_cpu());
  FillMemory(sample, now, *out.mutable_memory());
  if (sample.swap) FillSwap(*sample.swap, now, *out.mutable_swap());

  const std::string dir = layer_dir(record.id);
  const DirUsage layer = MeasureDir(dir);
  v1::FilesystemUsage& fs = *out.mutable_writable_layer();
  fs.set_timestamp(now);
  fs.mutable_fs_id()->set_mountpoint(std::filesystem::path(dir).parent_path().parent_path().string());
  fs.mutable_used_bytes()->set_value(layer.bytes);
  fs.mutable_inodes_used()->set_value(layer.inodes);
  return out;
}

v1::PodSandboxStats StatsCollector::ForPod(const sandbox::SandboxRecord& pod,
                                           const std::vector<container::ContainerRecord>& containers,
                                           const LayerDir& layer_dir) {
  v1::PodSandboxStats out;
  v1::PodSandboxAttributes& attributes = *out.mutable_attributes();
  attributes.set_id(pod.id);
  *attributes.mutable_metadata() = pod.config.metadata();
  *attributes.mutable_labels() = pod.config.labels();
  *attributes.mutable_annotations() = pod.config.annotations();
  v1::LinuxPodSandboxStats& linux = *out.mutable_linux();

  std::vector<CgroupSample> samples;
  int net_pid = pod.infra_running ? pod.infra_pid : 0;
  if (!pod.infra_container_id.empty() && pod.infra_running) {
    samples.push_back(ReadCgroupSample(hierarchies_, CgroupsPathOf(pod.dir + "/infra/config.json")));
  }
  for (const container::ContainerRecord& record : containers) {
    CgroupSample sample;
    *linux.add_containers() = Build(record, layer_dir, sample);
    samples.push_back(sample);
    if (Running(record) && net_pid <= 0) net_pid = record.pid;
  }
  const int64_t now = util::NowNanos();
  const CgroupSample total = Sum(samples);
  std::optional<uint64_t> rate;
  if (total.cpu_usage_ns) rate = rates_.Rate("pod/" + pod.id, *total.cpu_usage_ns, now);
  FillCpu(total, now, rate, *linux.mutable_cpu());
  FillMemory(total, now, *linux.mutable_memory());
  linux.mutable_process()->set_timestamp(now);
  if (total.pids) linux.mutable_process()->mutable_process_count()->set_value(*total.pids);

  if (!pod.host_network && net_pid > 0) {
    const std::vector<InterfaceCounters> interfaces = ReadNetDev(net_pid);
    if (!interfaces.empty()) {
      size_t default_index = 0;
      for (size_t i = 0; i < interfaces.size(); ++i) {
        if (interfaces[i].name == "eth0") default_index = i;
      }
      v1::NetworkUsage& network = *linux.mutable_network();
      network.set_timestamp(now);
      for (size_t i = 0; i < interfaces.size(); ++i) {
        FillInterface(interfaces[i], i == default_index ? *network.mutable_default_interface() : *network.add_interfaces());
      }
    }
  }
  return out;
}

}  // namespace cloison::stats
