// The ttrpc endpoint shims publish their events to (TTRPC_ADDRESS): serves
// containerd.services.events.ttrpc.v1.Events/Forward on a unix socket (mode 0600) and hands
// each envelope to a callback, on the server's threads (one per connected shim) but never two
// callbacks at once; the shim gets its answer once the callback returns. Other methods are
// answered NotImplemented (12). Some shims fail without this endpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace cloison::shim {

struct ShimEvent {
  std::string ns;
  std::string topic;         // "/tasks/exit", "/tasks/oom", ...
  std::string container_id;  // for the task events cloison decodes (exit, oom, start, delete), else ""
  uint32_t exit_status = 0;  // /tasks/exit only
};

class EventsServer {
 public:
  using Callback = std::function<void(const ShimEvent& event)>;

  EventsServer(std::string socket_path, Callback on_event);
  ~EventsServer();  // stops serving and removes the socket

  // Listens on the socket path (replacing a stale socket; ALREADY_EXISTS when a live server
  // answers there) and starts serving.
  absl::Status Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cloison::shim
