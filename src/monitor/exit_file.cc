#include "cloison/monitor/exit_file.h"

#include <signal.h>
#include <sys/wait.h>

#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cloison/util/atomic_file.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

// `value` when it is an integer within int's range (a status from the runtime is 0-255).
std::optional<int> IntegerAsInt(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t number = value.get<uint64_t>();
    if (number > static_cast<uint64_t>(std::numeric_limits<int>::max())) return std::nullopt;
    return static_cast<int>(number);
  }
  if (!value.is_number_integer()) return std::nullopt;
  const int64_t number = value.get<int64_t>();
  if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(number);
}

}  // namespace

ExitInfo ExitInfoFromWaitStatus(int wait_status) {
  ExitInfo info;
  if (WIFSIGNALED(wait_status)) {
    info.signal = WTERMSIG(wait_status);
    info.exit_code = 128 + info.signal;
  } else {
    info.exit_code = WEXITSTATUS(wait_status);
  }
  return info;
}

ExitInfo ExitInfoFromExitStatus(int exit_status) {
  ExitInfo info;
  info.exit_code = exit_status;
  if (exit_status > 128 && exit_status < 128 + NSIG) info.signal = exit_status - 128;
  return info;
}

absl::StatusOr<ExitInfo> ExitInfoFromRuntimeWait(absl::string_view output) {
  const nlohmann::json result = nlohmann::json::parse(output.begin(), output.end(), nullptr, false);
  const auto status = result.is_object() ? result.find("exitStatus") : result.end();
  const std::optional<int> exit_status = status == result.end() ? std::nullopt : IntegerAsInt(*status);
  if (!exit_status) return absl::InvalidArgumentError(absl::StrCat("unexpected runtime wait output: ", output));
  return ExitInfoFromExitStatus(*exit_status);
}

std::string ExitInfoJson(const ExitInfo& info) {
  nlohmann::json doc{{"exit_code", info.exit_code},
                     {"signal", info.signal},
                     {"exited_at", info.exited_at_ns},
                     {"oom_killed", info.oom_killed}};
  if (!info.message.empty()) doc["message"] = info.message;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status WriteExitFile(const std::string& path, const ExitInfo& info) {
  return util::ReplaceFile(path, ExitInfoJson(info) + "\n", 0644);
}

}  // namespace cloison::monitor
