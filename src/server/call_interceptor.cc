#include "cloison/server/call_interceptor.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/util/logging.h"

namespace cloison::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/runtime.v1.RuntimeService/RunPodSandbox" -> "RunPodSandbox"
absl::string_view ShortMethodName(absl::string_view method) {
  const size_t slash = method.rfind('/');
  return slash == absl::string_view::npos ? method : method.substr(slash + 1);
}

class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CallInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() ? info->method() : "?"), started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && status.error_message().empty()) {
        status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                              absl::StrCat(ShortMethodName(method_), " is not implemented by cloison yet"));
        methods->ModifySendStatus(status);
      }
      const double millis =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
      if (status.ok()) {
        spdlog::debug("rpc {} ok in {:.2f} ms", method_, millis);
      } else {
        spdlog::debug("rpc {} failed in {:.2f} ms: code {}: {}", method_, millis,
                      static_cast<int>(status.error_code()), status.error_message());
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  std::chrono::steady_clock::time_point started_;
};

class CallInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeCallInterceptorFactory() {
  return std::make_unique<CallInterceptorFactory>();
}

}  // namespace cloison::server
