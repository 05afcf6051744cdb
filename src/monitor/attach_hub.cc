#include "cloison/monitor/attach_hub.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "cloison/monitor/sockets.h"

namespace cloison::monitor {

void AttachHub::Broadcast(absl::string_view packet) {
  for (Client& client : clients_) {
    if (client.fd.valid() && send(client.fd.get(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      client.fd.reset();  // too slow (EAGAIN) or gone
    }
  }
}

void AttachHub::Watch(PollSet& poll) {
  poll.Add(listen_.get(), POLLIN, [this](short) {
    for (util::UniqueFd fd = AcceptPending(listen_.get()); fd.valid(); fd = AcceptPending(listen_.get())) {
      clients_.push_back(Client{std::move(fd)});
    }
  });
  if (stdin_.valid() && !pending_.empty()) poll.Add(stdin_.get(), POLLOUT, [this](short) { WriteStdin(); });
  const bool want_input = stdin_.valid() && pending_.empty() && !close_requested_;
  for (Client& client : clients_) {
    // Without POLLIN, poll still reports a hangup.
    const short events = want_input && client.input_open ? POLLIN : 0;
    poll.Add(client.fd.get(), events, [this, &client](short revents) { OnClient(client, revents); });
  }
}

void AttachHub::RemoveClosed() {
  clients_.remove_if([](const Client& client) { return !client.fd.valid(); });
}

void AttachHub::OnClient(Client& client, short revents) {
  if (!client.fd.valid()) return;
  const bool hangup = (revents & (POLLHUP | POLLERR)) != 0;
  // On hangup the packets still queued are read first, so input sent just before a close is kept.
  if (client.input_open && stdin_.valid() && ((revents & POLLIN) || hangup)) ReadInput(client, hangup);
  if (hangup) client.fd.reset();
}

void AttachHub::ReadInput(Client& client, bool until_eof) {
  char buffer[32768];
  do {
    const ssize_t n = recv(client.fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      pending_.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    client.input_open = false;  // shutdown(SHUT_WR), close, or an error
    if (stdin_once_) RequestStdinClose();
    return;
  } while (until_eof);
}

void AttachHub::WriteStdin() {
  const ssize_t n = write(stdin_.get(), pending_.data(), pending_.size());
  if (n > 0) {
    pending_.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    pending_.clear();  // the container closed its stdin
    stdin_.reset();
    return;
  }
  if (pending_.empty() && close_requested_) CloseStdin();
}

void AttachHub::RequestStdinClose() {
  close_requested_ = true;
  if (pending_.empty()) CloseStdin();
}

void AttachHub::CloseStdin() {
  if (tty_ && stdin_.valid()) {
    const char eof = 4;
    if (write(stdin_.get(), &eof, 1) < 0) {
      // Nothing to do: the terminal is gone.
    }
  }
  stdin_.reset();
}

}  // namespace cloison::monitor
