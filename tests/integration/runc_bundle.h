// What the tests that drive runc without cloisond share (monitor_harness.h, shim_runc_test.cc):
// a busybox OCI bundle made with `runc spec` whose container lives in the cgroup
// /cloison-test/<id>, the removal of that cgroup, a file's text, and whether a process is alive.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "cloison/util/command.h"
#include "cloison/util/proc_stat.h"
#include "nlohmann/json.hpp"

namespace cloison::testing {

inline constexpr const char* kRunc = "/usr/sbin/runc";

// The file's text; "" when it cannot be read.
inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Alive and not a zombie waiting for its (re)parent to reap it.
inline bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  const absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(pid);
  return !stat.ok() || stat->state != 'Z';
}

// Lays out at `bundle` a read-only busybox rootfs (busybox and its sh, echo, sleep, cat, true
// and stty) and a `runc spec` config.json running `args` without a terminal in the cgroup
// /cloison-test/<id>; `edit` may then change the config. Whether `runc spec` made the config.
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
  config["linux"]["cgroupsPath"] = "/cloison-test/" + id;
  if (edit) edit(config);
  std::ofstream(bundle / "config.json") << config.dump(1);
  return true;
}

// Removes the cgroup /cloison-test/<id> of a deleted container, and /cloison-test itself once
// no other test uses it.
inline void RemoveTestCgroup(const std::string& id) {
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    rmdir((hierarchy.path() / "cloison-test" / id).c_str());
    rmdir((hierarchy.path() / "cloison-test").c_str());  // fails while other tests use it
  }
}

}  // namespace cloison::testing
