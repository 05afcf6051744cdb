#include "cloison/stats/dir_usage.h"

#include <ftw.h>
#include <sys/stat.h>

#include <set>
#include <utility>

namespace cloison::stats {
namespace {

// nftw has no user pointer; one walk at a time per thread.
thread_local DirUsage* t_usage = nullptr;
thread_local std::set<std::pair<dev_t, ino_t>>* t_seen = nullptr;

int Visit(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_NS) return 0;
  if (st->st_nlink > 1 && type != FTW_D && type != FTW_DP && !t_seen->insert({st->st_dev, st->st_ino}).second) {
    return 0;
  }
  t_usage->bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  t_usage->inodes += 1;
  return 0;
}

}  // namespace

DirUsage MeasureDir(const std::string& path) {
  DirUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  t_usage = &usage;
  t_seen = &seen;
  nftw(path.c_str(), Visit, 32, FTW_PHYS | FTW_MOUNT);
  t_usage = nullptr;
  t_seen = nullptr;
  return usage;
}

}  // namespace cloison::stats
