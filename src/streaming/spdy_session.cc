#include "spdy_session.h"

#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/write.hpp"
#include "cloison/streaming/exit_status.h"
#include "cloison/streaming/netns_dial.h"
#include "cloison/streaming/terminal_size.h"
#include "cloison/util/logging.h"
#include "close_quietly.h"

namespace cloison::streaming {
namespace {

namespace asio = boost::asio;
using spdy::Frame;
using spdy::FrameType;

constexpr uint32_t kWindowUpdateThreshold = 32 * 1024;
constexpr size_t kMaxBufferedInput = 17 << 20;  // one maximal frame plus change
// A resize line is some 30 bytes; a client that sends more without a newline sends garbage.
constexpr size_t kMaxResizeLine = 4096;
constexpr auto kStreamCreationTimeout = std::chrono::seconds(30);
// Past this many bytes queued for the client, the session stops reading it until half of them
// are written: a client that sends PINGs or opens streams without reading the answers would
// otherwise have one queued for each.
constexpr size_t kMaxQueuedOutput = 4 << 20;

}  // namespace

SpdySession::SpdySession(std::unique_ptr<ByteChannel> channel) : channel_(std::move(channel)), idle_(channel_->io()) {}

asio::io_context& SpdySession::io() { return channel_->io(); }

void SpdySession::Start(std::string leftover, std::string upgrade_response, std::chrono::seconds idle_timeout) {
  idle_.Start(idle_timeout, weak_from_this(), [this, idle_timeout] {
    spdlog::info("streaming: closing a SPDY session idle for {} s", idle_timeout.count());
    Gone();
  });
  if (!upgrade_response.empty()) Queue(std::move(upgrade_response), nullptr);
  input_ = std::move(leftover);
  OnStarted();
  Process();
  Read();
}

void SpdySession::Read() {
  if (gone_ || reading_ || read_held_ || output_backlog_) return;
  reading_ = true;
  channel_->ReadSome([self = shared_from_this()](const boost::system::error_code& ec, std::string bytes) {
    self->reading_ = false;
    if (ec) return self->Gone();
    self->idle_.Touch();
    self->input_ += bytes;
    self->Process();
    self->Read();
  });
}

void SpdySession::Process() {
  while (!gone_) {
    size_t consumed = 0;
    absl::StatusOr<std::optional<Frame>> frame = spdy::ParseFrame(input_, consumed);
    if (!frame.ok()) {
      spdlog::debug("streaming: SPDY: {}", frame.status());
      return Gone();
    }
    if (!frame->has_value()) {
      if (input_.size() > kMaxBufferedInput) Gone();
      return;
    }
    input_.erase(0, consumed);
    if (absl::Status s = Handle(std::move(**frame)); !s.ok()) {
      spdlog::debug("streaming: SPDY: {}", s);
      return Gone();
    }
  }
}

absl::Status SpdySession::Handle(Frame frame) {
  switch (frame.type) {
    case FrameType::kSynStream: {
      // Always inflate: the zlib stream spans the connection.
      absl::StatusOr<spdy::Headers> headers = decompressor_.Decompress(frame.payload);
      if (!headers.ok()) return headers.status();
      if (frame.stream_id <= last_stream_ || frame.stream_id % 2 == 0) {
        return absl::InvalidArgumentError(absl::StrCat("SPDY stream id ", frame.stream_id, " out of order"));
      }
      last_stream_ = frame.stream_id;
      if ((frame.flags & spdy::kFlagFin) == 0) unacked_[frame.stream_id] = 0;  // open for DATA
      Frame reply;
      reply.type = FrameType::kSynReply;
      reply.stream_id = frame.stream_id;
      reply.payload = compressor_.Compress({});
      Queue(spdy::SerializeFrame(reply), nullptr);
      OnStream(frame.stream_id, *headers);
      if (frame.flags & spdy::kFlagFin) OnData(frame.stream_id, "", true);
      return absl::OkStatus();
    }
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      return decompressor_.Decompress(frame.payload).status();
    case FrameType::kData: {
      // DATA on a stream the client never opened, or already closed, means nothing; counting
      // it would grow unacked_ by one entry per stream id a client makes up.
      if (frame.stream_id == 0 || !unacked_.contains(frame.stream_id)) return absl::OkStatus();
      const uint32_t size = static_cast<uint32_t>(frame.payload.size());
      for (uint32_t id : {frame.stream_id, 0u}) {
        uint32_t& unacked = unacked_[id];
        unacked += size;
        if (unacked >= kWindowUpdateThreshold) {
          Frame update;
          update.type = FrameType::kWindowUpdate;
          update.stream_id = id;
          update.value = unacked;
          unacked = 0;
          Queue(spdy::SerializeFrame(update), nullptr);
        }
      }
      const bool fin = (frame.flags & spdy::kFlagFin) != 0;
      if (fin) unacked_.erase(frame.stream_id);
      OnData(frame.stream_id, std::move(frame.payload), fin);
      return absl::OkStatus();
    }
    case FrameType::kRstStream:
      unacked_.erase(frame.stream_id);
      OnData(frame.stream_id, "", true);
      return absl::OkStatus();
    case FrameType::kPing:
      if (frame.value % 2 == 1) Queue(spdy::SerializeFrame(frame), nullptr);  // the client's: echo
      return absl::OkStatus();
    case FrameType::kGoAway:
      Gone();
      return absl::OkStatus();
    case FrameType::kSettings:
    case FrameType::kWindowUpdate:
      return absl::OkStatus();
  }
  return absl::OkStatus();  // unknown control frame types are ignored
}

void SpdySession::SendData(uint32_t id, std::string data, std::function<void()> written) {
  Frame frame;
  frame.type = FrameType::kData;
  frame.stream_id = id;
  frame.payload = std::move(data);
  Queue(spdy::SerializeFrame(frame), std::move(written));
}

void SpdySession::SendFin(uint32_t id) {
  Frame frame;
  frame.type = FrameType::kData;
  frame.stream_id = id;
  frame.flags = spdy::kFlagFin;
  Queue(spdy::SerializeFrame(frame), nullptr);
}

void SpdySession::HoldReading(bool hold) {
  read_held_ = hold;
  if (!hold) Read();
}

void SpdySession::Finish() {
  if (finishing_) return;
  Frame goaway;
  goaway.type = FrameType::kGoAway;
  goaway.stream_id = last_stream_;
  Queue(spdy::SerializeFrame(goaway), nullptr);
  finishing_ = true;
  if (!writing_) WriteNext();
}

void SpdySession::Queue(std::string bytes, std::function<void()> written) {
  if (gone_ || finishing_) return;
  queued_bytes_ += bytes.size();
  if (queued_bytes_ > kMaxQueuedOutput) output_backlog_ = true;
  out_.emplace_back(std::move(bytes), std::move(written));
  if (!writing_) WriteNext();
}

void SpdySession::WriteNext() {
  if (out_.empty()) {
    writing_ = false;
    if (finishing_ && !gone_) {
      channel_->ShutdownSend();  // the client closes its side; the read loop then ends the session
    }
    return;
  }
  writing_ = true;
  channel_->Write(out_.front().first, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) {
      self->out_.clear();
      self->queued_bytes_ = 0;
      self->writing_ = false;
      return self->Gone();
    }
    self->idle_.Touch();
    self->queued_bytes_ -= self->out_.front().first.size();
    std::function<void()> written = std::move(self->out_.front().second);
    self->out_.pop_front();
    if (written) written();
    if (self->output_backlog_ && self->queued_bytes_ <= kMaxQueuedOutput / 2) {
      self->output_backlog_ = false;
      self->Read();
    }
    self->WriteNext();
  });
}

void SpdySession::Gone() {
  if (gone_) return;
  gone_ = true;
  idle_.Stop();
  OnPeerGone();
  channel_->Close();
}

// --- remote command -------------------------------------------------------------------------

SpdyRemoteCommand::SpdyRemoteCommand(std::unique_ptr<ByteChannel> channel, std::shared_ptr<StreamTarget> target,
                                     RemoteCommandOptions options)
    : SpdySession(std::move(channel)),
      target_(std::move(target)),
      options_(options),
      stdin_budget_(kMaxHeldInput, [this](bool hold) { HoldReading(hold); }),
      creation_timer_(io()) {}

std::shared_ptr<SpdyRemoteCommand> SpdyRemoteCommand::self() {
  return std::static_pointer_cast<SpdyRemoteCommand>(shared_from_this());
}

void SpdyRemoteCommand::OnStarted() {
  creation_timer_.expires_after(kStreamCreationTimeout);
  creation_timer_.async_wait([self = self()](const boost::system::error_code& ec) {
    if (ec || self->started_) return;
    spdlog::debug("streaming: the client did not open its streams within {} s", kStreamCreationTimeout.count());
    self->done_ = true;
    self->target_->Cancel();
    self->Finish();
  });
}

void SpdyRemoteCommand::OnStream(uint32_t id, const spdy::Headers& headers) {
  const std::string type = spdy::HeaderValue(headers, "streamType");
  if (type == "resize" && options_.version < 3) return;  // v1 and v2 have no terminal resizing
  if (!type.empty()) streams_[type] = id;
  MaybeStart();
}

void SpdyRemoteCommand::MaybeStart() {
  if (started_ || done_) return;
  std::vector<std::string> expected = {"error"};
  if (options_.stdin) expected.push_back("stdin");
  if (options_.stdout) expected.push_back("stdout");
  if (options_.stderr && !options_.tty) expected.push_back("stderr");
  if (options_.tty && options_.version >= 3) expected.push_back("resize");
  for (const std::string& type : expected) {
    if (!streams_.contains(type)) return;
  }
  started_ = true;
  creation_timer_.cancel();
  target_->Start(
      [self = self()](int stream, std::string data, std::function<void()> next) {
        auto it = self->streams_.find(stream == 1 ? "stdout" : "stderr");
        if (it == self->streams_.end()) {
          if (next) next();
          return;
        }
        self->SendData(it->second, std::move(data), std::move(next));
      },
      [self = self()](absl::StatusOr<int> exit_code) { self->Done(exit_code); });
}

void SpdyRemoteCommand::Done(const absl::StatusOr<int>& exit_code) {
  if (done_) return;
  done_ = true;
  const uint32_t error = streams_["error"];
  const std::string payload = options_.version >= 4 ? StatusJson(exit_code) : StatusText(exit_code);
  if (!payload.empty()) SendData(error, payload);
  for (const auto& [type, id] : streams_) {
    if (type != "stdin" && type != "resize") SendFin(id);
  }
  Finish();
}

void SpdyRemoteCommand::OnData(uint32_t id, std::string data, bool fin) {
  if (!started_ || done_) return;
  if (auto it = streams_.find("stdin"); it != streams_.end() && it->second == id) {
    const auto size = static_cast<int64_t>(data.size());
    stdin_budget_.Take(size);
    target_->WriteStdin(std::move(data), stdin_budget_.GiveLater(size));
    if (fin) target_->CloseStdin();
    return;
  }
  if (auto it = streams_.find("resize"); it != streams_.end() && it->second == id) {
    // A stream of JSON objects {"Width":W,"Height":H}, one per line (Go's json.Encoder).
    resize_buffer_ += data;
    size_t newline;
    while ((newline = resize_buffer_.find('\n')) != std::string::npos) {
      const std::optional<TerminalSize> size = ParseTerminalSize(absl::string_view(resize_buffer_).substr(0, newline));
      resize_buffer_.erase(0, newline + 1);
      if (size) target_->Resize(size->width, size->height);
    }
    if (resize_buffer_.size() > kMaxResizeLine) resize_buffer_.clear();
  }
}

void SpdyRemoteCommand::OnPeerGone() {
  creation_timer_.cancel();
  if (done_) return;
  done_ = true;
  target_->Cancel();
}

// --- port forward ---------------------------------------------------------------------------

SpdyPortForward::SpdyPortForward(std::unique_ptr<ByteChannel> channel, std::string netns_path)
    : SpdySession(std::move(channel)),
      netns_path_(std::move(netns_path)),
      to_pods_(kMaxHeldInput, [this](bool hold) { HoldReading(hold); }) {}

std::shared_ptr<SpdyPortForward> SpdyPortForward::self() {
  return std::static_pointer_cast<SpdyPortForward>(shared_from_this());
}

void SpdyPortForward::OnStream(uint32_t id, const spdy::Headers& headers) {
  const std::string type = spdy::HeaderValue(headers, "streamType");
  std::string request_id = spdy::HeaderValue(headers, "requestID");
  if (request_id.empty()) {
    // Clients before request ids: the error stream comes first, its data stream is id + 2.
    request_id = std::to_string(type == "error" ? id + 2 : id);
  }
  Pair& pair = pairs_[request_id];
  if (!pair.creation_timer) {
    pair.creation_timer = std::make_shared<asio::steady_timer>(io(), kStreamCreationTimeout);
    pair.creation_timer->async_wait(
        [self = self(), request_id, timer = pair.creation_timer](const boost::system::error_code& ec) {
          auto it = self->pairs_.find(request_id);
          if (ec || it == self->pairs_.end() || it->second.creation_timer != timer) return;
          self->TimeOut(request_id);
        });
  }
  pair.port = spdy::HeaderValue(headers, "port");
  if (type == "data" && pair.data == 0) {  // a second data or error stream for a pair means nothing
    pair.data = id;
    data_streams_[id] = request_id;
  } else if (type == "error" && pair.error == 0) {
    pair.error = id;
  }
  if (pair.data != 0 && pair.error != 0 && !pair.conn) {
    pair.creation_timer->cancel();
    Connect(request_id);
  }
}

void SpdyPortForward::TimeOut(const std::string& request_id) {
  Pair& pair = pairs_[request_id];
  spdlog::debug("streaming: port forward request {}: timed out waiting for streams", request_id);
  if (pair.error != 0) {
    SendData(pair.error, absl::StrCat("request ", request_id, ": timed out waiting for streams"));
    SendFin(pair.error);
  }
  if (pair.data != 0) SendFin(pair.data);
  Forget(request_id);
}

void SpdyPortForward::Connect(const std::string& request_id) {
  Pair& pair = pairs_[request_id];
  uint16_t port = 0;
  int parsed = 0;
  absl::StatusOr<util::UniqueFd> conn = absl::InvalidArgumentError(absl::StrCat("invalid port \"", pair.port, "\""));
  if (absl::SimpleAtoi(pair.port, &parsed) && parsed > 0 && parsed < 65536) {
    port = static_cast<uint16_t>(parsed);
    conn = DialInNetns(netns_path_, port);
  }
  if (!conn.ok()) {
    SendData(pair.error, absl::StrCat("error forwarding port ", pair.port, " to pod: ", conn.status().message()));
    SendFin(pair.error);
    SendFin(pair.data);
    return Forget(request_id);
  }
  pair.conn = std::make_shared<asio::posix::stream_descriptor>(io(), conn->release());
  ReadConn(request_id);
  WriteConn(request_id);
}

void SpdyPortForward::ReadConn(const std::string& request_id) {
  auto it = pairs_.find(request_id);
  if (it == pairs_.end() || !it->second.conn) return;
  auto buffer = std::make_shared<std::string>(32 * 1024, '\0');
  it->second.conn->async_read_some(
      asio::buffer(*buffer), [self = self(), request_id, buffer, conn = it->second.conn](
                                 const boost::system::error_code& ec, size_t n) {
        auto pair = self->pairs_.find(request_id);
        if (pair == self->pairs_.end() || !conn->is_open()) return;
        if (ec || n == 0) {
          self->SendFin(pair->second.data);
          self->SendFin(pair->second.error);
          pair->second.pod_closed = true;
          return self->MaybeForget(request_id);
        }
        buffer->resize(n);
        self->SendData(pair->second.data, std::move(*buffer), [self, request_id] { self->ReadConn(request_id); });
      });
}

void SpdyPortForward::WriteConn(const std::string& request_id) {
  Pair& pair = pairs_[request_id];
  if (!pair.conn || pair.writing) return;
  if (pair.pending.empty()) {
    if (pair.client_closed && pair.conn->is_open()) shutdown(pair.conn->native_handle(), SHUT_WR);
    return MaybeForget(request_id);
  }
  // The chunk in flight belongs to the write's handler: Forget may drop the pair before it runs.
  auto chunk = std::make_shared<std::string>(std::move(pair.pending.front()));
  pair.pending.pop_front();
  pair.writing = true;
  asio::async_write(*pair.conn, asio::buffer(*chunk),
                    [self = self(), request_id, conn = pair.conn, chunk](const boost::system::error_code& ec, size_t) {
                      self->to_pods_.Give(static_cast<int64_t>(chunk->size()));
                      auto it = self->pairs_.find(request_id);
                      if (it == self->pairs_.end() || !conn->is_open()) return;
                      Pair& written = it->second;
                      written.writing = false;
                      if (ec) {  // the pod's side is gone: so is the pair
                        if (!written.pod_closed) {
                          self->SendFin(written.data);
                          self->SendFin(written.error);
                        }
                        return self->Forget(request_id);
                      }
                      self->WriteConn(request_id);
                    });
}

void SpdyPortForward::OnData(uint32_t id, std::string data, bool fin) {
  auto stream = data_streams_.find(id);
  if (stream == data_streams_.end()) return;  // data on an error stream, or a forgotten pair's
  const std::string request_id = stream->second;
  Pair& pair = pairs_[request_id];
  if (!data.empty()) {
    to_pods_.Take(static_cast<int64_t>(data.size()));
    pair.pending.push_back(std::move(data));
  }
  if (fin) pair.client_closed = true;
  WriteConn(request_id);
}

void SpdyPortForward::MaybeForget(const std::string& request_id) {
  auto it = pairs_.find(request_id);
  if (it == pairs_.end()) return;
  const Pair& pair = it->second;
  if (pair.pod_closed && pair.client_closed && pair.pending.empty() && !pair.writing) Forget(request_id);
}

void SpdyPortForward::Forget(const std::string& request_id) {
  auto it = pairs_.find(request_id);
  if (it == pairs_.end()) return;
  Pair& pair = it->second;
  if (pair.conn) CloseQuietly(*pair.conn);
  if (pair.creation_timer) pair.creation_timer->cancel();
  int64_t pending = 0;
  for (const std::string& chunk : pair.pending) pending += static_cast<int64_t>(chunk.size());
  if (pair.data != 0) data_streams_.erase(pair.data);
  pairs_.erase(it);
  to_pods_.Give(pending);
}

void SpdyPortForward::OnPeerGone() {
  for (auto& [request_id, pair] : pairs_) {
    if (pair.conn) CloseQuietly(*pair.conn);
    if (pair.creation_timer) pair.creation_timer->cancel();
  }
  pairs_.clear();
  data_streams_.clear();
}

}  // namespace cloison::streaming
