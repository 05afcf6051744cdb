// Writes container output to a CRI ("k8s-file") log: one line per record,
// "<RFC3339Nano UTC> <stdout|stderr> <F|P> <content>\n".
// - A complete line (ending in '\n') is written tagged F, without its '\n'.
// - Each stream keeps its own buffer for an unfinished line. A line longer than kMaxLineSize is
//   cut into kMaxLineSize pieces tagged P; the piece that ends the line is tagged F.
// - Flush() writes a stream's unfinished line tagged P (used at EOF): kubelet joins P records with
//   the next record and adds no newline after a P, so the bytes read back are exactly the bytes
//   the container wrote, even when its output does not end in a newline.
// - Bytes are kept raw: a terminal's "\r\n" leaves a trailing '\r' in the content.
// Each Write() appends all of its records with one write(2) on an O_APPEND descriptor.
#pragma once

#include <time.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloison/util/unique_fd.h"

namespace cloison::monitor {

enum class LogStream { kStdout = 0, kStderr = 1 };

// "2026-11-28T18:20:01.123456789Z": UTC, always 9 fractional digits.
std::string FormatRfc3339Nano(const timespec& time);

class CriLogWriter {
 public:
  static constexpr size_t kMaxLineSize = 16 * 1024;

  // Opens (creating it 0640, and missing parent directories 0755) the log at `path` for appending.
  static absl::StatusOr<CriLogWriter> Open(std::string path);

  // Adds output of `stream` read at `now`.
  absl::Status Write(LogStream stream, absl::string_view data, const timespec& now);
  // Writes the stream's unfinished line, if any, tagged P.
  absl::Status Flush(LogStream stream, const timespec& now);
  // Reopens the path (after the log was renamed away), creating a new file. Unfinished lines
  // stay buffered and go to the new file.
  absl::Status Reopen();

 private:
  explicit CriLogWriter(std::string path) : path_(std::move(path)) {}
  absl::Status OpenFile();
  absl::Status Append(const std::string& records);

  std::string path_;
  util::UniqueFd fd_;
  std::string pending_[2];
};

}  // namespace cloison::monitor
