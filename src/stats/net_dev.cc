#include "cloison/stats/net_dev.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloison/util/atomic_file.h"

namespace cloison::stats {

// "  eth0: rxbytes rxpackets rxerrs rxdrop fifo frame compressed multicast txbytes txpackets
// txerrs ..." after two header lines.
std::vector<InterfaceCounters> ParseNetDev(absl::string_view text) {
  std::vector<InterfaceCounters> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    InterfaceCounters counters;
    counters.name = std::string(absl::StripAsciiWhitespace(line.substr(0, colon)));
    if (counters.name == "lo") continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line.substr(colon + 1), ' ', absl::SkipEmpty());
    if (fields.size() < 11) continue;
    if (!absl::SimpleAtoi(fields[0], &counters.rx_bytes) || !absl::SimpleAtoi(fields[2], &counters.rx_errors) ||
        !absl::SimpleAtoi(fields[8], &counters.tx_bytes) || !absl::SimpleAtoi(fields[10], &counters.tx_errors)) {
      continue;
    }
    out.push_back(std::move(counters));
  }
  return out;
}

std::vector<InterfaceCounters> ReadNetDev(int pid) {
  if (pid <= 0) return {};
  absl::StatusOr<std::string> text = util::ReadFile(absl::StrCat("/proc/", pid, "/net/dev"));
  if (!text.ok()) return {};
  return ParseNetDev(*text);
}

}  // namespace cloison::stats
