#include "cloison/util/pid_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "cloison/util/atomic_file.h"

namespace cloison::util {

pid_t ReadPidFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  pid_t pid = 0;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) || pid <= 0) return 0;
  return pid;
}

}  // namespace cloison::util
