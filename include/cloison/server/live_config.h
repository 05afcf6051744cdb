// The configuration and handler table the services answer from. SIGHUP swaps in a new
// snapshot while calls are in flight: each call takes one snapshot and uses it throughout.
#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cloison/config/config.h"
#include "cloison/runtime/handler_table.h"

namespace cloison::server {

struct ConfigSnapshot {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const runtime::HandlerTable> handlers;
};

class LiveConfig {
 public:
  explicit LiveConfig(ConfigSnapshot initial) : current_(std::move(initial)) {}

  ConfigSnapshot Get() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  void Set(ConfigSnapshot next) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(next);
  }

 private:
  mutable absl::Mutex mu_;
  ConfigSnapshot current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::server
