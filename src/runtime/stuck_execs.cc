#include "cloison/runtime/stuck_execs.h"

#include <signal.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/atomic_file.h"

namespace cloison::runtime {
namespace {

bool IsRuntimeExecOf(const std::string& cmdline, const std::string& exec_dir_prefix) {
  bool exec_subcommand = false;
  bool process_file = false;
  for (absl::string_view argument : absl::StrSplit(cmdline, '\0')) {
    if (argument == "exec") exec_subcommand = true;
    if (absl::StartsWith(argument, exec_dir_prefix)) process_file = true;
  }
  return exec_subcommand && process_file;
}

}  // namespace

int KillRuntimeExecs(const std::string& state_dir) {
  const std::string exec_dir_prefix = state_dir + "/exec-";
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory("/proc");
  if (!entries.ok()) return 0;
  int killed = 0;
  for (const util::DirectoryEntry& entry : *entries) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.name, &pid) || pid <= 0) continue;
    absl::StatusOr<std::string> cmdline = util::ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    if (!cmdline.ok() || !IsRuntimeExecOf(*cmdline, exec_dir_prefix)) continue;
    if (kill(pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

}  // namespace cloison::runtime
