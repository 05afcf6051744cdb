#include "cloison/stats/cri_metrics.h"

#include <string>

namespace cloison::stats {
namespace {

namespace v1 = ::runtime::v1;

constexpr uint64_t kNanosPerSecond = 1'000'000'000;

constexpr char kCpuUsage[] = "container_cpu_usage_seconds_total";
constexpr char kMemoryUsage[] = "container_memory_usage_bytes";
constexpr char kMemoryWorkingSet[] = "container_memory_working_set_bytes";
constexpr char kMemoryRss[] = "container_memory_rss";
constexpr char kMemoryFailures[] = "container_memory_failures_total";
constexpr char kFsUsage[] = "container_fs_usage_bytes";
constexpr char kNetworkRxBytes[] = "container_network_receive_bytes_total";
constexpr char kNetworkRxErrors[] = "container_network_receive_errors_total";
constexpr char kNetworkTxBytes[] = "container_network_transmit_bytes_total";
constexpr char kNetworkTxErrors[] = "container_network_transmit_errors_total";

v1::MetricDescriptor Descriptor(const char* name, const char* help, std::vector<std::string> extra_labels) {
  v1::MetricDescriptor descriptor;
  descriptor.set_name(name);
  descriptor.set_help(help);
  descriptor.add_label_keys("id");
  descriptor.add_label_keys("name");
  for (std::string& label : extra_labels) descriptor.add_label_keys(std::move(label));
  return descriptor;
}

// Appends metrics that share the "id" and "name" label values.
class MetricSink {
 public:
  MetricSink(google::protobuf::RepeatedPtrField<v1::Metric>& out, std::string id, std::string name)
      : out_(out), id_(std::move(id)), name_(std::move(name)) {}

  // Nothing when `value` is unset.
  void Add(const char* name, v1::MetricType type, int64_t timestamp, bool has_value, uint64_t value,
           const std::vector<std::string>& extra_labels = {}) {
    if (!has_value) return;
    v1::Metric* metric = out_.Add();
    metric->set_name(name);
    metric->set_timestamp(timestamp);
    metric->set_metric_type(type);
    metric->add_label_values(id_);
    metric->add_label_values(name_);
    for (const std::string& label : extra_labels) metric->add_label_values(label);
    metric->mutable_value()->set_value(value);
  }

 private:
  google::protobuf::RepeatedPtrField<v1::Metric>& out_;
  std::string id_, name_;
};

void AddContainerMetrics(const v1::ContainerStats& stats, v1::ContainerMetrics& out) {
  out.set_container_id(stats.attributes().id());
  MetricSink sink(*out.mutable_metrics(), stats.attributes().id(), stats.attributes().metadata().name());
  const v1::CpuUsage& cpu = stats.cpu();
  sink.Add(kCpuUsage, v1::COUNTER, cpu.timestamp(), cpu.has_usage_core_nano_seconds(),
           cpu.usage_core_nano_seconds().value() / kNanosPerSecond);
  const v1::MemoryUsage& memory = stats.memory();
  sink.Add(kMemoryUsage, v1::GAUGE, memory.timestamp(), memory.has_usage_bytes(), memory.usage_bytes().value());
  sink.Add(kMemoryWorkingSet, v1::GAUGE, memory.timestamp(), memory.has_working_set_bytes(),
           memory.working_set_bytes().value());
  sink.Add(kMemoryRss, v1::GAUGE, memory.timestamp(), memory.has_rss_bytes(), memory.rss_bytes().value());
  sink.Add(kMemoryFailures, v1::COUNTER, memory.timestamp(), memory.has_page_faults(),
           memory.page_faults().value(), {"pgfault", "container"});
  sink.Add(kMemoryFailures, v1::COUNTER, memory.timestamp(), memory.has_major_page_faults(),
           memory.major_page_faults().value(), {"pgmajfault", "container"});
  const v1::FilesystemUsage& layer = stats.writable_layer();
  sink.Add(kFsUsage, v1::GAUGE, layer.timestamp(), layer.has_used_bytes(), layer.used_bytes().value(),
           {layer.fs_id().mountpoint()});
}

void AddInterfaceMetrics(MetricSink& sink, int64_t timestamp, const v1::NetworkInterfaceUsage& usage) {
  const std::vector<std::string> interface = {usage.name()};
  sink.Add(kNetworkRxBytes, v1::COUNTER, timestamp, usage.has_rx_bytes(), usage.rx_bytes().value(), interface);
  sink.Add(kNetworkRxErrors, v1::COUNTER, timestamp, usage.has_rx_errors(), usage.rx_errors().value(), interface);
  sink.Add(kNetworkTxBytes, v1::COUNTER, timestamp, usage.has_tx_bytes(), usage.tx_bytes().value(), interface);
  sink.Add(kNetworkTxErrors, v1::COUNTER, timestamp, usage.has_tx_errors(), usage.tx_errors().value(), interface);
}

}  // namespace

std::vector<v1::MetricDescriptor> MetricDescriptors() {
  return {
      Descriptor(kCpuUsage, "Cumulative cpu time consumed in seconds.", {}),
      Descriptor(kMemoryUsage, "Current memory usage in bytes, including all memory regardless of when it was accessed",
                 {}),
      Descriptor(kMemoryWorkingSet, "Current working set in bytes.", {}),
      Descriptor(kMemoryRss, "Size of RSS in bytes.", {}),
      Descriptor(kMemoryFailures, "Cumulative count of memory allocation failures.", {"failure_type", "scope"}),
      Descriptor(kFsUsage, "Number of bytes that are consumed by the container on this filesystem.", {"device"}),
      Descriptor(kNetworkRxBytes, "Cumulative count of bytes received", {"interface"}),
      Descriptor(kNetworkRxErrors, "Cumulative count of errors encountered while receiving", {"interface"}),
      Descriptor(kNetworkTxBytes, "Cumulative count of bytes transmitted", {"interface"}),
      Descriptor(kNetworkTxErrors, "Cumulative count of errors encountered while transmitting", {"interface"}),
  };
}

v1::PodSandboxMetrics PodMetrics(const v1::PodSandboxStats& stats) {
  v1::PodSandboxMetrics out;
  out.set_pod_sandbox_id(stats.attributes().id());
  const v1::LinuxPodSandboxStats& linux_stats = stats.linux();
  if (linux_stats.has_network()) {
    MetricSink sink(*out.mutable_metrics(), stats.attributes().id(), stats.attributes().metadata().name());
    const v1::NetworkUsage& network = linux_stats.network();
    AddInterfaceMetrics(sink, network.timestamp(), network.default_interface());
    for (const v1::NetworkInterfaceUsage& usage : network.interfaces()) {
      AddInterfaceMetrics(sink, network.timestamp(), usage);
    }
  }
  for (const v1::ContainerStats& container : linux_stats.containers()) {
    AddContainerMetrics(container, *out.add_container_metrics());
  }
  return out;
}

}  // namespace cloison::stats
