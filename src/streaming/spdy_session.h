// SPDY/3.1 sessions after an HTTP upgrade (or inside a WebSocket tunnel, see byte_channel.h),
// on the streaming server's io_context thread. SpdySession owns the connection: frame parsing and writing (one write at a time, queued),
// one header compressor and decompressor for the connection, SYN_REPLY to every stream the
// client opens, PING echo, WINDOW_UPDATE for what it received; while more than 4 MiB wait to be
// written to the client (one that does not read its answers), it stops reading it. It does not
// hold back its own sends for the peer's windows: Go's spdystream (kubelet's and crictl's side)
// never sends a WINDOW_UPDATE, so a sender that waited would stall after 64 KiB.
// SpdyRemoteCommand speaks remote command v1-v4 over it (one stream per streamType: error,
// stdin, stdout, stderr, and from v3 resize; the error stream carries the JSON Status from v4,
// the failure's text before); SpdyPortForward speaks portforward.k8s.io (a data and an
// error stream per requestID, with a port header; as kubelet, a pair whose second stream does
// not come within 30 s is answered "timed out waiting for streams", and a pair is forgotten,
// its connection into the pod closed, once both directions have ended).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "boost/asio/posix/stream_descriptor.hpp"
#include "boost/asio/steady_timer.hpp"
#include "cloison/streaming/spdy_frame.h"
#include "byte_channel.h"
#include "cloison/streaming/spdy_headers.h"
#include "cloison/streaming/idle_deadline.h"
#include "cloison/streaming/input_budget.h"
#include "stream_target.h"

namespace cloison::streaming {

class SpdySession : public std::enable_shared_from_this<SpdySession> {
 public:
  explicit SpdySession(std::unique_ptr<ByteChannel> channel);
  virtual ~SpdySession() = default;

  // Sends `upgrade_response` (the HTTP 101; "" when the channel's own handshake answered) and
  // serves; `leftover`: bytes the HTTP parser read past the upgrade request. A session with
  // no frame read or written for `idle_timeout` (zero: no limit) ends as if the client left.
  void Start(std::string leftover, std::string upgrade_response, std::chrono::seconds idle_timeout);

 protected:
  // A new stream from the client (already answered with SYN_REPLY).
  virtual void OnStream(uint32_t id, const spdy::Headers& headers) = 0;
  // Data on a client stream; `fin` when the client closed its side (also for RST_STREAM).
  virtual void OnData(uint32_t id, std::string data, bool fin) = 0;
  // The client went away (EOF, GOAWAY, a protocol error). Called once.
  virtual void OnPeerGone() = 0;
  virtual void OnStarted() {}

  void SendData(uint32_t id, std::string data, std::function<void()> written = nullptr);
  void SendFin(uint32_t id);
  // Stops (true) or resumes (false) reading from the client: a session whose other end cannot
  // keep up holds the client back rather than buffering what it sends without bound.
  void HoldReading(bool hold);
  // Sends GOAWAY after what is queued and closes the connection.
  void Finish();
  boost::asio::io_context& io();

 private:
  void Read();
  void Process();
  absl::Status Handle(spdy::Frame frame);
  void Queue(std::string bytes, std::function<void()> written);
  void WriteNext();
  void Gone();

  std::unique_ptr<ByteChannel> channel_;
  IdleDeadline idle_;
  std::string input_;
  spdy::HeaderCompressor compressor_;
  spdy::HeaderDecompressor decompressor_;
  std::deque<std::pair<std::string, std::function<void()>>> out_;
  bool writing_ = false;
  bool finishing_ = false;
  bool gone_ = false;
  bool reading_ = false;
  bool read_held_ = false;
  size_t queued_bytes_ = 0;     // in out_
  bool output_backlog_ = false;  // too much queued: not reading the client until half is written
  uint32_t last_stream_ = 0;
  // Bytes received per open client stream (0 = the session) not yet window-updated.
  std::map<uint32_t, uint32_t> unacked_;
};

struct RemoteCommandOptions {
  int version = 4;  // 1..4
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

class SpdyRemoteCommand final : public SpdySession {
 public:
  SpdyRemoteCommand(std::unique_ptr<ByteChannel> channel, std::shared_ptr<StreamTarget> target,
                    RemoteCommandOptions options);

 private:
  void OnStarted() override;
  void OnStream(uint32_t id, const spdy::Headers& headers) override;
  void OnData(uint32_t id, std::string data, bool fin) override;
  void OnPeerGone() override;
  void MaybeStart();
  void Done(const absl::StatusOr<int>& exit_code);
  std::shared_ptr<SpdyRemoteCommand> self();

  std::shared_ptr<StreamTarget> target_;
  RemoteCommandOptions options_;
  std::map<std::string, uint32_t> streams_;  // by streamType
  std::string resize_buffer_;
  InputBudget stdin_budget_;  // stdin sent, not yet written to the process
  boost::asio::steady_timer creation_timer_;
  bool started_ = false;
  bool done_ = false;
};

class SpdyPortForward final : public SpdySession {
 public:
  SpdyPortForward(std::unique_ptr<ByteChannel> channel, std::string netns_path);

 private:
  struct Pair {
    uint32_t data = 0;
    uint32_t error = 0;
    std::string port;
    std::shared_ptr<boost::asio::steady_timer> creation_timer;  // until both streams are open
    std::shared_ptr<boost::asio::posix::stream_descriptor> conn;
    std::deque<std::string> pending;  // from the client, not yet being written into the pod
    bool writing = false;
    bool client_closed = false;  // the client's FIN on the data stream
    bool pod_closed = false;     // the pod's side ended: FIN sent on both streams
  };

  void OnStream(uint32_t id, const spdy::Headers& headers) override;
  void OnData(uint32_t id, std::string data, bool fin) override;
  void OnPeerGone() override;
  void Connect(const std::string& request_id);
  void ReadConn(const std::string& request_id);
  void WriteConn(const std::string& request_id);
  void TimeOut(const std::string& request_id);
  // Forgets a pair that has ended both ways.
  void MaybeForget(const std::string& request_id);
  // Closes the pair's connection and forgets it.
  void Forget(const std::string& request_id);
  std::shared_ptr<SpdyPortForward> self();

  std::string netns_path_;
  std::map<std::string, Pair> pairs_;            // by requestID
  std::map<uint32_t, std::string> data_streams_;  // data stream id -> requestID
  InputBudget to_pods_;                           // pending over all pairs
};

}  // namespace cloison::streaming
