// The process side of a remote command (an exec or an attach), driven by a protocol session
// on the streaming server's io_context thread. Every call and callback runs on that thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace cloison::streaming {

class StreamTarget {
 public:
  // One chunk of output; stream 1 is stdout, 2 stderr. `next` (may be empty) asks for the
  // following chunk: call it once this one is written, so that a slow client slows the reads.
  using Output = std::function<void(int stream, std::string data, std::function<void()> next)>;
  // Once, after the output ended and the process exited: its exit code, or why it failed.
  using Done = std::function<void(absl::StatusOr<int> exit_code)>;

  virtual ~StreamTarget() = default;

  virtual void Start(Output output, Done done) = 0;
  // `written` runs once `data` is written to the process, or dropped (stdin closed, a write
  // failed); not after Cancel.
  virtual void WriteStdin(std::string data, std::function<void()> written) = 0;
  virtual void CloseStdin() = 0;
  virtual void Resize(uint16_t width, uint16_t height) = 0;
  // The client went away: stop the exec'd process (an attach just detaches). No callback runs
  // afterwards.
  virtual void Cancel() = 0;
};

// What a target has still to write to the process's stdin, each chunk with the callback
// WriteStdin was given (none for all but the last packet of one call); the front chunk is
// being written.
using StdinQueue = std::deque<std::pair<std::string, std::function<void()>>>;

// Empties `queue` (stdin failed: its data will not be written), running each chunk's callback.
inline void DropStdin(StdinQueue& queue) {
  StdinQueue dropped;
  dropped.swap(queue);
  for (auto& [data, written] : dropped) {
    if (written) written();
  }
}

}  // namespace cloison::streaming
