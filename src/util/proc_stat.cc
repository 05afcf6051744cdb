#include "cloison/util/proc_stat.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/atomic_file.h"

namespace cloison::util {

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  const auto unreadable = [] { return absl::InternalError("unreadable /proc/<pid>/stat"); };
  const size_t name_end = text.rfind(')');
  if (name_end == absl::string_view::npos) return unreadable();
  // Fields after "(comm)" start at field 3 (state): field N is at index N - 3.
  const std::vector<absl::string_view> fields =
      absl::StrSplit(text.substr(name_end + 1), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  ProcStat stat;
  if (fields.size() < 20 || fields[0].size() != 1 || !absl::SimpleAtoi(fields[1], &stat.ppid) ||
      !absl::SimpleAtoi(fields[2], &stat.pgrp) || !absl::SimpleAtoi(fields[19], &stat.start_ticks)) {
    return unreadable();
  }
  stat.state = fields[0][0];
  return stat;
}

absl::StatusOr<ProcStat> ReadProcStat(pid_t pid) {
  absl::StatusOr<std::string> text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("process ", pid, " is gone"));
  return ParseProcStat(*text);
}

}  // namespace cloison::util
