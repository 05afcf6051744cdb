#include "cloison/monitor/output_relay.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace cloison::monitor {
namespace {

constexpr char kStreamIds[2] = {2, 3};  // attach packet stream ids: stdout, stderr
constexpr size_t kChunk = 8192;          // output per read and per attach packet

timespec RealtimeNow() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

LogStream LogStreamOf(int stream) { return stream == 0 ? LogStream::kStdout : LogStream::kStderr; }

}  // namespace

absl::Status OutputRelay::OpenLog(const std::string& path) {
  absl::StatusOr<CriLogWriter> log = CriLogWriter::Open(path);
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  return absl::OkStatus();
}

absl::Status OutputRelay::ReopenLog() { return log_->Reopen(); }

void OutputRelay::Watch(PollSet& poll) {
  for (int stream = 0; stream < 2; ++stream) {
    if (output_[stream].valid()) poll.Add(output_[stream].get(), POLLIN, [this, stream](short) { OnOutput(stream); });
  }
}

void OutputRelay::OnOutput(int stream) {
  char packet[1 + kChunk];
  const ssize_t n = read(output_[stream].get(), packet + 1, kChunk);
  if (n > 0) {
    log_->Write(LogStreamOf(stream), absl::string_view(packet + 1, static_cast<size_t>(n)), RealtimeNow()).IgnoreError();
    packet[0] = kStreamIds[stream];
    attach_.Broadcast(absl::string_view(packet, static_cast<size_t>(n) + 1));
    drain_.Output();
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  output_[stream].reset();
  log_->Flush(LogStreamOf(stream), RealtimeNow()).IgnoreError();
}

void OutputRelay::StartDrain() { drain_.Start(); }

bool OutputRelay::Drained() const { return (!output_[0].valid() && !output_[1].valid()) || drain_.Over(); }

int OutputRelay::DrainTimeoutMs() const { return drain_.TimeoutMs(); }

void OutputRelay::FlushLog() {
  const timespec now = RealtimeNow();
  log_->Flush(LogStream::kStdout, now).IgnoreError();
  log_->Flush(LogStream::kStderr, now).IgnoreError();
}

}  // namespace cloison::monitor
