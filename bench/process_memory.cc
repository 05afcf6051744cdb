#include "process_memory.h"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace cloison::bench {
namespace {

// The value (KiB) of the first line starting with `key` in `path`, or -1.
long long KibField(const std::string& path, const std::string& key) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind(key, 0) == 0) return std::atoll(line.c_str() + key.size());
  }
  return -1;
}

std::string ReadWhole(const std::string& path) {
  std::string text;
  std::FILE* file = std::fopen(path.c_str(), "re");
  if (file == nullptr) return text;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  std::fclose(file);
  return text;
}

}  // namespace

long long RssKib(long pid) { return KibField("/proc/" + std::to_string(pid) + "/status", "VmRSS:"); }

HelperMemory MeasureHelpers(const std::string& comm, const std::string& marker) {
  HelperMemory result;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return result;
  while (const dirent* entry = readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string dir = "/proc/" + pid;
    std::string process_comm = ReadWhole(dir + "/comm");
    if (!process_comm.empty() && process_comm.back() == '\n') process_comm.pop_back();
    if (process_comm != comm) continue;
    if (!marker.empty() && ReadWhole(dir + "/cmdline").find(marker) == std::string::npos) continue;
    const long long rss = KibField(dir + "/status", "VmRSS:");
    const long long pss = KibField(dir + "/smaps_rollup", "Pss:");
    if (rss < 0 || pss < 0) continue;
    ++result.count;
    result.rss_kib += rss;
    result.pss_kib += pss;
  }
  closedir(proc);
  return result;
}

}  // namespace cloison::bench
