#include "cloison/monitor/ctl_protocol.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

bool ReadDimension(const nlohmann::json& request, const char* key, unsigned short& out) {
  const auto field = request.find(key);
  if (field == request.end() || !field->is_number_unsigned()) return false;
  const auto value = field->get<uint64_t>();
  if (value > 0xffff) return false;
  out = static_cast<unsigned short>(value);
  return true;
}

}  // namespace

absl::StatusOr<CtlRequest> ParseCtlRequest(absl::string_view packet) {
  const nlohmann::json request = nlohmann::json::parse(packet.begin(), packet.end(), nullptr, false);
  if (!request.is_object()) return absl::InvalidArgumentError("request is not a JSON object");
  const auto op = request.find("op");
  if (op == request.end() || !op->is_string()) return absl::InvalidArgumentError("request has no op");
  const std::string& name = op->get_ref<const std::string&>();
  CtlRequest parsed;
  if (name == "start") {
    parsed.op = CtlRequest::Op::kStart;
  } else if (name == "reopen") {
    parsed.op = CtlRequest::Op::kReopen;
  } else if (name == "state") {
    parsed.op = CtlRequest::Op::kState;
  } else if (name == "resize") {
    parsed.op = CtlRequest::Op::kResize;
    if (!ReadDimension(request, "width", parsed.width) || !ReadDimension(request, "height", parsed.height)) {
      return absl::InvalidArgumentError("resize needs numeric width and height (0-65535)");
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown op ", name));
  }
  return parsed;
}

std::string CtlReply(const absl::Status& status) {
  if (status.ok()) return R"({"ok":true})";
  return nlohmann::json{{"ok", false}, {"message", std::string(status.message())}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CtlStateReply(pid_t pid, bool running, bool started) {
  return nlohmann::json{{"ok", true}, {"pid", pid}, {"running", running}, {"started", started}}.dump();
}

}  // namespace cloison::monitor
