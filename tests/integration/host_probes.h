// What integration tests look at on the host to check what cloisond left behind: mount points
// (in this process's mount namespace) and processes (through /proc); and a wait for something
// on the host to become true.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cloison/util/proc_stat.h"
#include "cloisond_process.h"
#include "file_text.h"
#include "wait_until.h"

namespace cloison::testing {

// Mount points under `dir` in this (the host's) mount namespace.
inline std::vector<std::string> MountsUnder(const std::string& dir) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<std::string> found;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mount_point;
    fields >> id >> parent >> devices >> root >> mount_point;
    if (mount_point.rfind(dir, 0) == 0) found.push_back(mount_point);
  }
  return found;
}

// The command line of process `pid`, arguments separated by spaces; "" once it is gone.
inline std::string Cmdline(int pid) {
  std::string cmdline = ReadText("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  return cmdline;
}

// The name of a process or thread (its comm, as ps and pgrep show it) from its /proc entry,
// /proc/<pid> or /proc/<pid>/task/<tid>; "" once it is gone.
inline std::string ProcessName(const std::filesystem::path& proc_entry) {
  std::string name = ReadText((proc_entry / "comm").string());
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

// The parent pid of process `pid`; -1 once it is gone.
inline int ParentOf(int pid) {
  const absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(pid);
  return stat.ok() ? stat->ppid : -1;
}

// Pids of the processes whose command line starts with `prefix` and contains `needle`.
inline std::vector<int> ProcessesMatching(const std::string& prefix, const std::string& needle) {
  std::vector<int> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = Cmdline(std::stoi(name));
    if (cmdline.rfind(prefix, 0) == 0 && cmdline.find(needle) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

}  // namespace cloison::testing
