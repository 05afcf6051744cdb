// Memory of processes, read from /proc: a daemon's VmRSS, and the RSS and PSS summed over the
// per-pod helper processes of one runtime (cloison-monitor for cloisond, containerd-shim-runc-v2
// for containerd), picked by their comm and a marker string in their command line (the bench's
// state directory of that runtime, so another runtime's helpers on the same host do not count).
// PSS divides shared pages among the processes that map them, so the PSS sum is the memory the
// helpers really add; RSS counts shared pages once per process.
#pragma once

#include <string>

namespace cloison::bench {

// VmRSS of `pid` in KiB, or -1 if the process is gone.
long long RssKib(long pid);

struct HelperMemory {
  long count = 0;
  long long rss_kib = 0;
  long long pss_kib = 0;
};

// Processes whose /proc/<pid>/comm equals `comm` (the kernel truncates it to 15 characters)
// and whose command line contains `marker` (any, when empty).
HelperMemory MeasureHelpers(const std::string& comm, const std::string& marker);

}  // namespace cloison::bench
