// The CRI v1 client of cri-bench: one gRPC channel to a runtime endpoint (cloisond, containerd,
// any CRI server) and a per-call deadline. Failed calls are reported with Failed(), which
// prints an "error: ..." result line and a message on stderr.
#pragma once

#include <memory>
#include <string>

#include "cloison/cri/api.h"
#include "grpcpp/grpcpp.h"

namespace cloison::bench {

class Client {
 public:
  // `endpoint`: a socket path or a unix:// URL.
  Client(const std::string& endpoint, int timeout_s);

  bool WaitConnected(int seconds);

  // Calls stub->*method(request) with this client's deadline.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s_));
    return (stub->*method)(&context, request, response);
  }

  ::runtime::v1::RuntimeService::Stub* runtime() { return runtime_.get(); }
  ::runtime::v1::ImageService::Stub* images() { return images_.get(); }

 private:
  int timeout_s_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> images_;
};

// "CODE_NAME: message".
std::string Describe(const grpc::Status& status);

// Reports a failed call on stderr and as an "error" line; returns false.
bool Failed(const std::string& what, const grpc::Status& status);

}  // namespace cloison::bench
