// The attach socket side of a container monitor: its clients and the container's stdin.
// - Output fans out to every client as one SOCK_SEQPACKET packet: 1 byte stream id (2 = stdout,
//   3 = stderr) followed by the data. A client that cannot take a packet at once is dropped,
//   so a slow client never stalls the container.
// - Packets from clients are queued for the container's stdin (a pipe, or the pty master) and
//   written as it takes them; no client is read while the queue is not empty.
// - With stdin_once, a client's EOF (shutdown(SHUT_WR) or close) closes the container's stdin
//   once the queue is written; a terminal gets the EOF character (^D) instead.
#pragma once

#include <list>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/monitor/poll_set.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

class AttachHub {
 public:
  AttachHub(bool stdin_once, bool tty) : stdin_once_(stdin_once), tty_(tty) {}

  void SetListener(util::UniqueFd listen_fd) { listen_ = std::move(listen_fd); }
  // The monitor's end of the container's stdin; without one, client input is ignored.
  void SetStdin(util::UniqueFd stdin_fd) { stdin_ = std::move(stdin_fd); }

  // Sends `packet` (stream id byte + data) to every client.
  void Broadcast(absl::string_view packet);

  // Registers the listener, the clients and the stdin for one poll round.
  void Watch(PollSet& poll);
  // Forgets clients closed during the last round.
  void RemoveClosed();

 private:
  struct Client {
    util::UniqueFd fd;
    bool input_open = true;
  };

  void OnClient(Client& client, short revents);
  void ReadInput(Client& client, bool until_eof);
  void WriteStdin();
  void RequestStdinClose();
  void CloseStdin();

  const bool stdin_once_;
  const bool tty_;
  util::UniqueFd listen_;
  util::UniqueFd stdin_;
  std::list<Client> clients_;
  std::string pending_;
  bool close_requested_ = false;
};

}  // namespace cloison::monitor
