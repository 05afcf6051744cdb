// A remote command that could not begin (the container stopped since the RPC, its exec could
// not be spawned, the attach socket is gone): Start reports the failure at once, so the session
// answers it on the error stream (as Kubernetes' streaming server does) instead of the client
// waiting for output that never comes.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "stream_target.h"

namespace cloison::streaming {

class FailedTarget final : public StreamTarget {
 public:
  explicit FailedTarget(absl::Status status) : status_(std::move(status)) {}

  void Start(Output, Done done) override { done(status_); }
  void WriteStdin(std::string, std::function<void()> written) override { written(); }
  void CloseStdin() override {}
  void Resize(uint16_t, uint16_t) override {}
  void Cancel() override {}

 private:
  absl::Status status_;
};

}  // namespace cloison::streaming
