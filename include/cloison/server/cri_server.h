// The gRPC server that serves the CRI RuntimeService and ImageService on a unix socket.
// Start() prepares the socket path (refusing when another instance answers there), serves,
// and sets the socket's mode to 0660. Shutdown() stops accepting calls and waits for the
// ones in flight up to a deadline.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/image/image_manager.h"
#include "cloison/server/image_service.h"
#include "cloison/server/live_config.h"
#include "cloison/server/runtime_service.h"
#include "grpcpp/server.h"

namespace cloison::server {

class CriServer {
 public:
  static absl::StatusOr<std::unique_ptr<CriServer>> Start(const std::string& socket_path,
                                                          const LiveConfig& live_config,
                                                          image::ImageManager& images,
                                                          sandbox::SandboxManager& sandboxes,
                                                          container::ContainerManager& containers,
                                                          streaming::StreamingServer& streaming);
  ~CriServer();

  // Stops accepting calls; calls still running after `grace` are cancelled. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  CriServer(std::string socket_path, const LiveConfig& live_config, image::ImageManager& images,
            sandbox::SandboxManager& sandboxes, container::ContainerManager& containers,
            streaming::StreamingServer& streaming);

  std::string socket_path_;
  RuntimeService runtime_service_;
  ImageService image_service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace cloison::server
