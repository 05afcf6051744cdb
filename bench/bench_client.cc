#include "bench_client.h"

#include <cstdio>

#include "bench_output.h"

namespace cloison::bench {

Client::Client(const std::string& endpoint, int timeout_s) : timeout_s_(timeout_s) {
  const std::string target = endpoint.rfind("unix:", 0) == 0 ? endpoint : "unix://" + endpoint;
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), channel_args);
  runtime_ = ::runtime::v1::RuntimeService::NewStub(channel_);
  images_ = ::runtime::v1::ImageService::NewStub(channel_);
}

bool Client::WaitConnected(int seconds) {
  return channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

std::string Describe(const grpc::Status& status) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED", "UNKNOWN",      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int code = static_cast<int>(status.error_code());
  const std::string name = code >= 0 && code <= 16 ? kNames[code] : std::to_string(code);
  return name + ": " + status.error_message();
}

bool Failed(const std::string& what, const grpc::Status& status) {
  std::fprintf(stderr, "cri-bench: %s failed: %s\n", what.c_str(), Describe(status).c_str());
  Print("error", what + ": " + Describe(status));
  return false;
}

}  // namespace cloison::bench
