// Maps the absl::Status a manager returns to the gRPC status a CRI client sees: same code,
// same message.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace cloison::server {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace cloison::server
