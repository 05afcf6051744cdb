// The container's stdout and stderr as both container modes of cloison-monitor (through an OCI
// runtime, and through a shim v2) relay them: every read goes to the CRI log and, as an attach
// packet (stream id 2 or 3), to the attached clients; EOF (or EIO from a pty master whose slave
// side closed) ends a stream and writes its unfinished log line. Once the container exited, the
// output is drained by util/output_drain.h's policy (until EOF on both streams, or its idle and
// total bounds). Driven by the monitor's single-threaded poll loop.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "cloison/monitor/attach_hub.h"
#include "cloison/monitor/cri_log_writer.h"
#include "cloison/monitor/poll_set.h"
#include "cloison/util/output_drain.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

class OutputRelay {
 public:
  explicit OutputRelay(AttachHub& attach) : attach_(attach) {}

  // Opens the CRI log at `path` (CriLogWriter::Open), before any output is relayed.
  absl::Status OpenLog(const std::string& path);
  // The ctl "reopen" request.
  absl::Status ReopenLog();

  // The monitor's non-blocking read end of stream 0 (stdout; with a terminal, the pty master)
  // or 1 (stderr); output() is -1 when there is none or the stream ended.
  void SetOutput(int stream, util::UniqueFd fd) { output_[stream] = std::move(fd); }
  int output(int stream) const { return output_[stream].get(); }

  // Registers the reads of the streams still open.
  void Watch(PollSet& poll);
  // The container exited: the drain starts now.
  void StartDrain();
  // Once the drain started: whether it is over, and how long until it is at most (poll's
  // timeout in milliseconds).
  bool Drained() const;
  int DrainTimeoutMs() const;
  // Writes both streams' unfinished log lines.
  void FlushLog();

 private:
  void OnOutput(int stream);

  AttachHub& attach_;
  std::optional<CriLogWriter> log_;
  util::UniqueFd output_[2];
  util::OutputDrain drain_;
};

}  // namespace cloison::monitor
