// The pods cri-bench creates, the same for every runtime it is pointed at: host network (so
// neither runtime needs CNI), a PID namespace per container, a pod cgroup under a cgroup root
// the caller chooses (the bench script removes that tree afterwards), busybox `sleep 3600`
// containers. StartPod times RunPodSandbox, CreateContainer and StartContainer separately;
// TearDown stops and removes everything a Pod holds.
#pragma once

#include <string>
#include <vector>

#include "bench_client.h"
#include "bench_output.h"
#include "cloison/cri/api.h"

namespace cloison::bench {

struct PodOptions {
  std::string image;
  std::string handler;      // RunPodSandbox runtime_handler ("" = the runtime's default)
  std::string log_root;     // pods get <log_root>/bench_<name>_<uid>
  std::string cgroup_root;  // pods get <cgroup_root>/<uid> as cgroup_parent ("" = none)
  std::string run_id;       // makes uids unique across runs against one runtime
};

struct Pod {
  ::runtime::v1::PodSandboxConfig config;
  std::string pod_id;
  std::vector<std::string> container_ids;
};

struct PodStartTimes {
  double run_pod_ms = 0;
  double create_ms = 0;
  double start_ms = 0;
  double total_ms() const { return run_pod_ms + create_ms + start_ms; }
};

// The pod named `name` (no hostname: it shares the host's UTS namespace with the host network);
// creates its log directory.
Pod NewPod(const PodOptions& options, const std::string& name);

// RunPodSandbox for `pod`; false (and an error line) on failure.
bool RunPod(Client& client, const PodOptions& options, Pod& pod, double* ms);

// CreateContainer of `sleep 3600` named `name` in `pod`; appends its id.
bool CreateSleeper(Client& client, const PodOptions& options, Pod& pod, const std::string& name, double* ms);

bool StartContainer(Client& client, const std::string& container_id, double* ms);

// RunPodSandbox + CreateContainer + StartContainer of one sleeper.
bool StartPod(Client& client, const PodOptions& options, Pod& pod, PodStartTimes* times);

// StopContainer (timeout 0) + RemoveContainer of each container, then StopPodSandbox +
// RemovePodSandbox; carries on after a failure and returns false if anything failed.
bool TearDown(Client& client, const Pod& pod);

}  // namespace cloison::bench
