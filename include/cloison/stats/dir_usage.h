// Disk usage of a directory tree as `du` counts it: allocated blocks (st_blocks * 512) and
// inodes, each hard-linked inode once, without crossing into other filesystems. Used for a
// container's writable layer (its overlay upper directory). A missing directory is zero.
#pragma once

#include <cstdint>
#include <string>

namespace cloison::stats {

struct DirUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

DirUsage MeasureDir(const std::string& path);

}  // namespace cloison::stats
