#include "cloison/server/cri_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cloison/server/call_interceptor.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unix_socket.h"
#include "grpcpp/server_builder.h"

namespace cloison::server {

// kubelet's CRI client accepts messages up to 16 MiB; answer with the same bound.
constexpr int kMaxMessageBytes = 16 << 20;
constexpr mode_t kSocketMode = 0660;

CriServer::CriServer(std::string socket_path, const LiveConfig& live_config, image::ImageManager& images,
                     sandbox::SandboxManager& sandboxes, container::ContainerManager& containers,
                     streaming::StreamingServer& streaming)
    : socket_path_(std::move(socket_path)),
      runtime_service_(live_config, sandboxes, containers, streaming),
      image_service_(images) {}

CriServer::~CriServer() { Shutdown(std::chrono::milliseconds(0)); }

absl::StatusOr<std::unique_ptr<CriServer>> CriServer::Start(const std::string& socket_path,
                                                            const LiveConfig& live_config,
                                                            image::ImageManager& images,
                                                            sandbox::SandboxManager& sandboxes,
                                                            container::ContainerManager& containers,
                                                            streaming::StreamingServer& streaming) {
  if (absl::Status s = util::PrepareListenPath(socket_path); !s.ok()) return s;

  std::unique_ptr<CriServer> server(new CriServer(socket_path, live_config, images, sandboxes, containers, streaming));
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(absl::StrCat("unix:", socket_path), grpc::InsecureServerCredentials(),
                           &bound);
  builder.RegisterService(&server->runtime_service_);
  builder.RegisterService(&server->image_service_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeCallInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  // Create the socket without group/other access from the start; chmod then opens it to the
  // group, so there is no moment when it is wider than 0660.
  const mode_t old_umask = umask(0177);
  server->server_ = builder.BuildAndStart();
  umask(old_umask);
  if (!server->server_ || bound == 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve on unix socket ", socket_path));
  }
  if (chmod(socket_path.c_str(), kSocketMode) != 0) {
    return util::SystemCallError("chmod ", socket_path);
  }
  return server;
}

void CriServer::Shutdown(std::chrono::milliseconds grace) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
  unlink(socket_path_.c_str());
}

}  // namespace cloison::server
