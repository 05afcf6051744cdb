// The runtimes of the configured handlers, by handler name, rebuilt when SIGHUP reloads the
// handler table. Resolve("") gives the default handler. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloison/runtime/handler_table.h"
#include "cloison/runtime/runtime.h"

namespace cloison::runtime {

struct ResolvedHandler {
  std::string name;
  HandlerInfo info;
  std::shared_ptr<Runtime> runtime;
};

class RuntimeSet {
 public:
  // `shim_dir` holds the shim address and events endpoint of "vm" handlers (<state>/shim).
  void Reset(const HandlerTable& table, bool systemd_cgroup, const std::string& shim_dir);

  // NOT_FOUND for an unknown handler (naming the configured ones), FAILED_PRECONDITION for
  // one whose binary is missing.
  absl::StatusOr<ResolvedHandler> Resolve(const std::string& handler) const;
  // The configured untrusted_workload_runtime ("" = none).
  std::string untrusted_name() const;

 private:
  mutable absl::Mutex mu_;
  std::string default_name_ ABSL_GUARDED_BY(mu_);
  std::string untrusted_name_ ABSL_GUARDED_BY(mu_);
  std::string names_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ResolvedHandler> handlers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cloison::runtime
