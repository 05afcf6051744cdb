// Starting and cleaning up a containerd shim v2 binary (Kata's containerd-shim-kata-v2,
// containerd-shim-runc-v2, ...) the way containerd does, without containerd:
//   <shim> -namespace <ns> -address <address> -publish-binary <bin> -id <id> [-debug] start
// run in the bundle directory with TTRPC_ADDRESS/GRPC_ADDRESS/NAMESPACE/MAX_SHIM_VERSION set
// (and PWD: the bundle as named, even when reached through a link),
// and, when asked for, a BootstrapParams message on stdin (see send_bootstrap_params). Containers of one pod
// share a shim when their config.json carries io.kubernetes.cri.sandbox-id: `start` then
// answers the running shim's address. A shim asked to exit is awaited through ShimProcess, and
// killed when it stays.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/util/unique_fd.h"

namespace cloison::shim {

struct ShimStartOptions {
  std::string shim_path;       // resolved binary
  std::string id;              // container id
  std::string bundle;          // directory holding config.json; the shim's working directory
  std::string ns = "cloison";  // containerd namespace
  // Passed as -address: it decides the shim's socket path, so it must stay the same across
  // cloisond restarts.
  std::string address;
  std::string ttrpc_address;   // the events endpoint shims publish to (TTRPC_ADDRESS)
  std::string publish_binary;  // -publish-binary (never run by ttrpc-publishing shims)
  bool debug = false;
  // Writes a containerd 2.3+ BootstrapParams message to the shim's stdin. Off by default: shims
  // built on containerd <= 2.2 libraries (Debian's runc shim 1.6, Kata) read stdin as their
  // runtime options (a protobuf Any) and `start` fails on a BootstrapParams there.
  bool send_bootstrap_params = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

// Creates the FIFO named "log" in the bundle and opens it for reading, non-blocking: the shim
// writes its log there and exits if nobody reads it. Keep the fd and drain it.
absl::StatusOr<util::UniqueFd> OpenShimLogFifo(const std::string& bundle);

// Runs `start`; returns the address the shim serves ("unix:///..."). The shim's stdout may be
// the bare address, JSON {"address":...} or a protobuf BootstrapResult; all are accepted.
absl::StatusOr<std::string> StartShim(const ShimStartOptions& options);
absl::StatusOr<std::string> ParseStartOutput(absl::string_view output);

// Runs `<shim> ... -bundle <bundle> delete`: the cleanup for a task whose shim is gone.
absl::Status DeleteWithShimBinary(const ShimStartOptions& options);

// A shim's serving process (the shim_pid of its Connect answer), held by a pidfd so that its
// pid cannot name another process later: hold it while the shim still serves.
class ShimProcess {
 public:
  // NOT_FOUND when `pid` is no (longer a) process; INVALID_ARGUMENT for pid 0 (unknown).
  static absl::StatusOr<ShimProcess> Hold(int pid);

  // Whether the process exits (or had exited) within `timeout`.
  bool ExitsWithin(std::chrono::milliseconds timeout) const;
  // SIGKILLs the process and waits (up to a second) for it to end; DEADLINE_EXCEEDED when it
  // did not.
  absl::Status Kill() const;

  int pid() const { return pid_; }

 private:
  ShimProcess(int pid, util::UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  int pid_;
  util::UniqueFd pidfd_;
};

}  // namespace cloison::shim
