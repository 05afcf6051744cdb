// ListMetricDescriptors / ListPodSandboxMetrics: the numbers of a PodSandboxStats (the stats
// collector's, stats_collector.h) as cAdvisor-named metrics, the ones kubelet's /metrics/cadvisor
// serves when it takes pod and container stats from the CRI. Label keys follow containerd:
// "id" and "name" (the container's id and CRI name; the pod's for pod-level metrics), plus
// "interface" for network metrics, "device" (the writable layer's fs_id mount point) for
// container_fs_usage_bytes, "failure_type" and "scope" for container_memory_failures_total.
// A metric whose value the stats left unset is not sent. CPU seconds are whole seconds (the
// CRI carries integers), as CRI-O and containerd send them. Timestamps are the samples'.
#pragma once

#include <vector>

#include "cloison/cri/api.h"

namespace cloison::stats {

// Every metric ListPodSandboxMetrics may send.
std::vector<::runtime::v1::MetricDescriptor> MetricDescriptors();

// `stats` as filled by StatsCollector::ForPod (containers under linux.containers).
::runtime::v1::PodSandboxMetrics PodMetrics(const ::runtime::v1::PodSandboxStats& stats);

}  // namespace cloison::stats
