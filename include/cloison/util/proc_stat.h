// /proc/<pid>/stat, read and parsed into the fields cloison uses. The command name (field 2)
// stands in parentheses and may itself hold spaces, parentheses and newlines, so the fields
// after it are found after the LAST ')' of the text.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::util {

struct ProcStat {
  char state = '?';          // field 3: R, S, D, T, Z (zombie), X (dead), ...
  pid_t ppid = 0;            // field 4
  pid_t pgrp = 0;            // field 5: the process group
  int64_t start_ticks = 0;   // field 22: when the process started, in clock ticks since boot

  // A zombie waiting to be reaped, or dead: no longer running anything.
  bool Exited() const { return state == 'Z' || state == 'X'; }
};

// INTERNAL naming the file when `text` is not a /proc/<pid>/stat line.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// NOT_FOUND when process `pid` is gone (its stat file cannot be read); INTERNAL when unparsable.
absl::StatusOr<ProcStat> ReadProcStat(pid_t pid);

}  // namespace cloison::util
