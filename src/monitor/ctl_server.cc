#include "cloison/monitor/ctl_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "cloison/monitor/sockets.h"

namespace cloison::monitor {

void CtlServer::Reply(uint64_t client_id, const std::string& reply) {
  for (Client& client : clients_) {
    if (client.id != client_id || !client.fd.valid()) continue;
    if (send(client.fd.get(), reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) client.fd.reset();
  }
}

void CtlServer::Watch(PollSet& poll) {
  poll.Add(listen_.get(), POLLIN, [this](short) { AcceptClients(); });
  for (Client& client : clients_) {
    poll.Add(client.fd.get(), POLLIN, [this, &client](short revents) { OnClient(client, revents); });
  }
}

void CtlServer::RemoveClosed() {
  clients_.remove_if([](const Client& client) { return !client.fd.valid(); });
}

void CtlServer::AcceptClients() {
  for (util::UniqueFd fd = AcceptPending(listen_.get()); fd.valid(); fd = AcceptPending(listen_.get())) {
    clients_.push_back(Client{next_client_id_++, std::move(fd)});
  }
}

void CtlServer::OnClient(Client& client, short revents) {
  if (!client.fd.valid()) return;
  if (revents & POLLIN) {
    char buffer[4096];
    const ssize_t n = recv(client.fd.get(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      on_request_(client.id, absl::string_view(buffer, static_cast<size_t>(n)));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      client.fd.reset();
    }
  } else if (revents & (POLLHUP | POLLERR)) {
    client.fd.reset();
  }
}

}  // namespace cloison::monitor
