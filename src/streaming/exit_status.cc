#include "cloison/streaming/exit_status.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cloison::streaming {

std::string StatusJson(const absl::StatusOr<int>& exit_code) {
  nlohmann::json status = {{"metadata", nlohmann::json::object()}};
  if (exit_code.ok() && *exit_code == 0) {
    status["status"] = "Success";
    return status.dump();
  }
  status["status"] = "Failure";
  status["message"] = StatusText(exit_code);
  if (exit_code.ok()) {
    status["reason"] = "NonZeroExitCode";
    status["details"] = {{"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(*exit_code)}}}}};
  } else {
    status["reason"] = "InternalError";
    status["code"] = 500;
  }
  return status.dump();
}

std::string StatusText(const absl::StatusOr<int>& exit_code) {
  if (!exit_code.ok()) return std::string(exit_code.status().message());
  if (*exit_code == 0) return "";
  return absl::StrCat("command terminated with non-zero exit code: exit code ", *exit_code);
}

}  // namespace cloison::streaming
