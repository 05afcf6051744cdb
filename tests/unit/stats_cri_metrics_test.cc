#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cloison/stats/cri_metrics.h"

namespace cloison::stats {
namespace {

namespace v1 = ::runtime::v1;
using ::testing::ElementsAre;

std::vector<std::string> Labels(const v1::Metric& metric) {
  return {metric.label_values().begin(), metric.label_values().end()};
}

v1::PodSandboxStats SamplePod() {
  v1::PodSandboxStats pod;
  pod.mutable_attributes()->set_id("pod1");
  pod.mutable_attributes()->mutable_metadata()->set_name("web-0");
  v1::NetworkUsage* network = pod.mutable_linux()->mutable_network();
  network->set_timestamp(7);
  network->mutable_default_interface()->set_name("eth0");
  network->mutable_default_interface()->mutable_rx_bytes()->set_value(1000);
  network->mutable_default_interface()->mutable_tx_bytes()->set_value(2000);
  v1::ContainerStats* container = pod.mutable_linux()->add_containers();
  container->mutable_attributes()->set_id("ctr1");
  container->mutable_attributes()->mutable_metadata()->set_name("app");
  container->mutable_cpu()->set_timestamp(5);
  container->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(2'500'000'000);
  container->mutable_memory()->set_timestamp(6);
  container->mutable_memory()->mutable_working_set_bytes()->set_value(4096);
  container->mutable_memory()->mutable_major_page_faults()->set_value(3);
  container->mutable_writable_layer()->mutable_fs_id()->set_mountpoint("/var/lib/cloison/storage");
  container->mutable_writable_layer()->mutable_used_bytes()->set_value(8192);
  return pod;
}

TEST(CriMetrics, EveryMetricHasADescriptorWithMatchingLabels) {
  std::map<std::string, v1::MetricDescriptor> descriptors;
  for (const v1::MetricDescriptor& descriptor : MetricDescriptors()) {
    EXPECT_TRUE(descriptors.emplace(descriptor.name(), descriptor).second) << "duplicate " << descriptor.name();
    EXPECT_FALSE(descriptor.help().empty()) << descriptor.name();
  }
  const v1::PodSandboxMetrics metrics = PodMetrics(SamplePod());
  std::vector<v1::Metric> all(metrics.metrics().begin(), metrics.metrics().end());
  for (const v1::ContainerMetrics& container : metrics.container_metrics()) {
    all.insert(all.end(), container.metrics().begin(), container.metrics().end());
  }
  ASSERT_FALSE(all.empty());
  for (const v1::Metric& metric : all) {
    ASSERT_TRUE(descriptors.contains(metric.name())) << metric.name();
    EXPECT_EQ(metric.label_values_size(), descriptors[metric.name()].label_keys_size()) << metric.name();
  }
}

TEST(CriMetrics, ContainerMetricsComeFromItsStats) {
  const v1::PodSandboxMetrics metrics = PodMetrics(SamplePod());
  EXPECT_EQ(metrics.pod_sandbox_id(), "pod1");
  ASSERT_EQ(metrics.container_metrics_size(), 1);
  const v1::ContainerMetrics& container = metrics.container_metrics(0);
  EXPECT_EQ(container.container_id(), "ctr1");
  std::map<std::string, std::vector<v1::Metric>> by_name;
  for (const v1::Metric& metric : container.metrics()) by_name[metric.name()].push_back(metric);

  // Unset values (usage, rss, minor faults) send nothing.
  EXPECT_FALSE(by_name.contains("container_memory_usage_bytes"));
  EXPECT_FALSE(by_name.contains("container_memory_rss"));

  const v1::Metric& cpu = by_name.at("container_cpu_usage_seconds_total").at(0);
  EXPECT_EQ(cpu.value().value(), 2u);  // whole seconds
  EXPECT_EQ(cpu.metric_type(), v1::COUNTER);
  EXPECT_EQ(cpu.timestamp(), 5);
  EXPECT_THAT(Labels(cpu), ElementsAre("ctr1", "app"));

  const v1::Metric& working_set = by_name.at("container_memory_working_set_bytes").at(0);
  EXPECT_EQ(working_set.value().value(), 4096u);
  EXPECT_EQ(working_set.metric_type(), v1::GAUGE);
  EXPECT_EQ(working_set.timestamp(), 6);

  ASSERT_EQ(by_name.at("container_memory_failures_total").size(), 1u);
  const v1::Metric& faults = by_name.at("container_memory_failures_total").at(0);
  EXPECT_EQ(faults.value().value(), 3u);
  EXPECT_THAT(Labels(faults), ElementsAre("ctr1", "app", "pgmajfault", "container"));

  const v1::Metric& fs = by_name.at("container_fs_usage_bytes").at(0);
  EXPECT_EQ(fs.value().value(), 8192u);
  EXPECT_THAT(Labels(fs), ElementsAre("ctr1", "app", "/var/lib/cloison/storage"));
}

TEST(CriMetrics, NetworkMetricsArePodLevel) {
  const v1::PodSandboxMetrics metrics = PodMetrics(SamplePod());
  std::map<std::string, v1::Metric> by_name;
  for (const v1::Metric& metric : metrics.metrics()) by_name.emplace(metric.name(), metric);
  ASSERT_EQ(by_name.size(), 2u);  // errors are unset
  EXPECT_EQ(by_name.at("container_network_receive_bytes_total").value().value(), 1000u);
  EXPECT_EQ(by_name.at("container_network_transmit_bytes_total").value().value(), 2000u);
  EXPECT_THAT(Labels(by_name.at("container_network_receive_bytes_total")), ElementsAre("pod1", "web-0", "eth0"));
  EXPECT_EQ(by_name.at("container_network_receive_bytes_total").timestamp(), 7);

  v1::PodSandboxStats host_network = SamplePod();
  host_network.mutable_linux()->clear_network();
  EXPECT_EQ(PodMetrics(host_network).metrics_size(), 0);
}

}  // namespace
}  // namespace cloison::stats
