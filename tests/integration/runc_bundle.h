// What the tests that drive runc without cloisond share (monitor_harness.h, shim_runc_test.cc):
// a busybox OCI bundle made with `runc spec` whose container lives in its own top-level cgroup
// /cloison-test-<id>, the removal of that cgroup, whether a process is alive, and (file_text.h)
// a file's text.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "cloison/util/command.h"
#include "cloison/util/proc_stat.h"
#include "file_text.h"
#include "nlohmann/json.hpp"

namespace cloison::testing {

inline constexpr const char* kRunc = "/usr/sbin/runc";

// Alive and not a zombie waiting for its (re)parent to reap it.
inline bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  const absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(pid);
  return !stat.ok() || stat->state != 'Z';
}

// Lays out at `bundle` a read-only busybox rootfs (busybox and its sh, echo, sleep, cat, true
// and stty) and a `runc spec` config.json running `args` without a terminal in the cgroup
// /cloison-test-<id> (no parent shared between tests, which one test's rmdir could remove
// while runc creates another's container under it); `edit` may then change the config.
// Whether `runc spec` made the config.
inline bool MakeBusyboxBundle(const std::filesystem::path& bundle, const std::string& id,
                              const std::vector<std::string>& args,
                              const std::function<void(nlohmann::json&)>& edit = {}) {
  std::filesystem::create_directories(bundle / "rootfs/bin");
  std::filesystem::copy_file("/bin/busybox", bundle / "rootfs/bin/busybox");
  for (const char* tool : {"sh", "echo", "sleep", "cat", "true", "stty"}) {
    std::filesystem::create_symlink("busybox", bundle / "rootfs/bin" / tool);
  }
  util::RunCommand({kRunc, "spec", "--bundle", bundle.string()}, std::chrono::seconds(20)).IgnoreError();
  nlohmann::json config = nlohmann::json::parse(ReadText(bundle / "config.json"), nullptr, false);
  if (!config.is_object()) return false;
  config["process"]["args"] = args;
  config["process"]["terminal"] = false;
  config["root"] = nlohmann::json{{"path", "rootfs"}, {"readonly", true}};
  config["linux"]["cgroupsPath"] = "/cloison-test-" + id;
  if (edit) edit(config);
  std::ofstream(bundle / "config.json") << config.dump(1);
  return true;
}

// Removes the cgroup /cloison-test-<id> of a deleted container.
inline void RemoveTestCgroup(const std::string& id) {
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    rmdir((hierarchy.path() / ("cloison-test-" + id)).c_str());
  }
}

}  // namespace cloison::testing
