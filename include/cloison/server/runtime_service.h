// The CRI RuntimeService. Answers Version, Status and RuntimeConfig from the live
// configuration; every RPC not overridden here answers UNIMPLEMENTED (named by the
// call interceptor) until the issue that implements it lands.
#pragma once

#include "cloison/server/live_config.h"
#include "cloison/cri/api.h"

namespace cloison::server {

class RuntimeService final : public ::runtime::v1::RuntimeService::Service {
 public:
  explicit RuntimeService(const LiveConfig& live_config) : live_config_(live_config) {}

  grpc::Status Version(grpc::ServerContext* context, const ::runtime::v1::VersionRequest* request,
                       ::runtime::v1::VersionResponse* response) override;
  grpc::Status Status(grpc::ServerContext* context, const ::runtime::v1::StatusRequest* request,
                      ::runtime::v1::StatusResponse* response) override;
  grpc::Status RuntimeConfig(grpc::ServerContext* context,
                             const ::runtime::v1::RuntimeConfigRequest* request,
                             ::runtime::v1::RuntimeConfigResponse* response) override;

 private:
  const LiveConfig& live_config_;
};

}  // namespace cloison::server
