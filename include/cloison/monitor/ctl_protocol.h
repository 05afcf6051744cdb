// Messages of the monitor's ctl socket (SOCK_SEQPACKET, one JSON object per packet each way):
//   {"op":"start"}                          -> {"ok":true} | {"ok":false,"message":"..."}
//   {"op":"reopen"}                         -> {"ok":true} | {"ok":false,"message":"..."}
//   {"op":"resize","width":W,"height":H}    -> {"ok":true} | {"ok":false,"message":"..."}
//   {"op":"state"}                          -> {"ok":true,"pid":N,"running":bool,"started":bool}
// A malformed request or an unknown op gets {"ok":false,"message":"..."}.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::monitor {

struct CtlRequest {
  enum class Op { kStart, kReopen, kResize, kState };
  Op op = Op::kState;
  unsigned short width = 0;
  unsigned short height = 0;
};

absl::StatusOr<CtlRequest> ParseCtlRequest(absl::string_view packet);

// {"ok":true} for OK, else {"ok":false,"message":<status message>}.
std::string CtlReply(const absl::Status& status);

std::string CtlStateReply(pid_t pid, bool running, bool started);

}  // namespace cloison::monitor
