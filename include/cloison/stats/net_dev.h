// Per-interface network counters from a /proc/<pid>/net/dev file (the network namespace of
// that process), loopback left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cloison::stats {

struct InterfaceCounters {
  std::string name;
  uint64_t rx_bytes = 0;
  uint64_t rx_errors = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_errors = 0;
};

std::vector<InterfaceCounters> ParseNetDev(absl::string_view text);

// ParseNetDev of /proc/<pid>/net/dev; empty when it cannot be read.
std::vector<InterfaceCounters> ReadNetDev(int pid);

}  // namespace cloison::stats
