// A gRPC server interceptor applied to every CRI call: logs one debug line per call (method,
// outcome, duration) and names the RPC in the UNIMPLEMENTED answers of RPCs cloison does
// not serve yet (gRPC's generated default leaves the message empty).
#pragma once

#include <memory>

#include "grpcpp/support/server_interceptor.h"

namespace cloison::server {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeCallInterceptorFactory();

}  // namespace cloison::server
