#include "cloison/monitor/cri_log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unix_socket.h"

namespace cloison::monitor {
namespace {

constexpr const char* kStreamNames[] = {"stdout", "stderr"};

void AppendRecord(std::string& out, const std::string& stamp, LogStream stream, char tag,
                  absl::string_view content) {
  absl::StrAppend(&out, stamp, " ", kStreamNames[static_cast<int>(stream)], " ",
                  absl::string_view(&tag, 1), " ", content, "\n");
}

// Appends `line` as records of at most kMaxLineSize bytes: P pieces while more than that remain,
// then, when `complete`, the rest tagged F. Returns how many bytes of `line` were written.
size_t AppendPieces(std::string& out, const std::string& stamp, LogStream stream,
                    absl::string_view line, bool complete) {
  constexpr size_t kMax = CriLogWriter::kMaxLineSize;
  size_t done = 0;
  while (line.size() - done > kMax) {
    AppendRecord(out, stamp, stream, 'P', line.substr(done, kMax));
    done += kMax;
  }
  if (complete) {
    AppendRecord(out, stamp, stream, 'F', line.substr(done));
    done = line.size();
  }
  return done;
}

}  // namespace

std::string FormatRfc3339Nano(const timespec& time) {
  tm utc{};
  gmtime_r(&time.tv_sec, &utc);
  char text[64];
  const size_t length = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof(text) - length, ".%09ldZ", time.tv_nsec);
  return text;
}

absl::StatusOr<CriLogWriter> CriLogWriter::Open(std::string path) {
  CriLogWriter writer(std::move(path));
  const std::string parent = std::filesystem::path(writer.path_).parent_path().string();
  if (!parent.empty()) {
    if (absl::Status status = util::MakeDirs(parent, 0755); !status.ok()) return status;
  }
  if (absl::Status status = writer.OpenFile(); !status.ok()) return status;
  return writer;
}

absl::Status CriLogWriter::OpenFile() {
  util::UniqueFd fd(open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    return util::SystemCallError("open log ", path_);
  }
  fd_ = std::move(fd);
  return absl::OkStatus();
}

absl::Status CriLogWriter::Reopen() { return OpenFile(); }

absl::Status CriLogWriter::Append(const std::string& records) {
  if (!fd_.valid()) {
    if (absl::Status status = OpenFile(); !status.ok()) return status;
  }
  size_t written = 0;
  while (written < records.size()) {
    const ssize_t n = write(fd_.get(), records.data() + written, records.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::SystemCallError("write log ", path_);
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status CriLogWriter::Write(LogStream stream, absl::string_view data, const timespec& now) {
  std::string& pending = pending_[static_cast<int>(stream)];
  const std::string stamp = FormatRfc3339Nano(now);
  std::string records;
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    if (newline == absl::string_view::npos) {
      pending.append(data.data(), data.size());
      pending.erase(0, AppendPieces(records, stamp, stream, pending, /*complete=*/false));
      break;
    }
    pending.append(data.data(), newline);
    data.remove_prefix(newline + 1);
    AppendPieces(records, stamp, stream, pending, /*complete=*/true);
    pending.clear();
  }
  return records.empty() ? absl::OkStatus() : Append(records);
}

absl::Status CriLogWriter::Flush(LogStream stream, const timespec& now) {
  std::string& pending = pending_[static_cast<int>(stream)];
  if (pending.empty()) return absl::OkStatus();
  std::string records;
  AppendRecord(records, FormatRfc3339Nano(now), stream, 'P', pending);
  pending.clear();
  return Append(records);
}

}  // namespace cloison::monitor
