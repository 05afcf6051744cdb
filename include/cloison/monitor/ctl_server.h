// The ctl socket side of a container monitor (both the OCI and the shim mode): accepts
// SOCK_SEQPACKET clients, hands each request packet to the handler with the client's id, and
// sends replies to that id later (a reply may wait for the runtime). A client that cannot take
// a reply at once, or hangs up, is dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/monitor/poll_set.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

class CtlServer {
 public:
  using Handler = std::function<void(uint64_t client_id, absl::string_view packet)>;

  explicit CtlServer(Handler on_request) : on_request_(std::move(on_request)) {}

  void SetListener(util::UniqueFd listen_fd) { listen_ = std::move(listen_fd); }
  // Sends `reply` to client `client_id` if it is still connected.
  void Reply(uint64_t client_id, const std::string& reply);

  // Registers the listener and the clients for one poll round.
  void Watch(PollSet& poll);
  // Forgets clients closed during the last round.
  void RemoveClosed();

 private:
  struct Client {
    uint64_t id = 0;
    util::UniqueFd fd;
  };

  void AcceptClients();
  void OnClient(Client& client, short revents);

  Handler on_request_;
  util::UniqueFd listen_;
  std::list<Client> clients_;
  uint64_t next_client_id_ = 1;
};

}  // namespace cloison::monitor
