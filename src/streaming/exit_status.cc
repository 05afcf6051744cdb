#include "cloison/streaming/exit_status.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cloison::streaming {
namespace {

// The message can hold a runtime's or a command's own words, not always UTF-8, and dump()
// throws on those: they are replaced (U+FFFD) instead.
std::string Dump(const nlohmann::json& status) {
  return status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string StatusJson(const absl::StatusOr<int>& exit_code) {
  nlohmann::json status = {{"metadata", nlohmann::json::object()}};
  if (exit_code.ok() && *exit_code == 0) {
    status["status"] = "Success";
    return Dump(status);
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
  return Dump(status);
}

std::string StatusText(const absl::StatusOr<int>& exit_code) {
  if (!exit_code.ok()) return std::string(exit_code.status().message());
  if (*exit_code == 0) return "";
  return absl::StrCat("command terminated with non-zero exit code: exit code ", *exit_code);
}

}  // namespace cloison::streaming
