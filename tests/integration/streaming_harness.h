// What the streaming tests share: clients written here for the streaming server's protocols
// (WebSocket with Boost.Beast: the channel protocols and the SPDY tunnel; SPDY/3.1 on the
// module's own frame codec, as kubelet speaks it), and a fixture (a PodFixture) that runs one
// busybox pod at a time on a given runtime handler.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "cloison/streaming/spdy_frame.h"
#include "cloison/streaming/spdy_headers.h"
#include "cloison/util/unique_fd.h"
#include "nlohmann/json.hpp"
#include "pod_fixture.h"

namespace cloison::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace spdy = streaming::spdy;
inline constexpr auto kDeadline = std::chrono::seconds(20);

struct Url {
  std::string host;
  uint16_t port = 0;
  std::string path;
};

inline Url ParseUrl(const std::string& url) {
  const std::string rest = url.substr(std::string("http://").size());
  const size_t colon = rest.find(':');
  const size_t slash = rest.find('/');
  return {rest.substr(0, colon), static_cast<uint16_t>(std::stoi(rest.substr(colon + 1, slash - colon - 1))),
          rest.substr(slash)};
}

inline int Connect(const Url& url) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(url.port);
  inet_pton(AF_INET, url.host.c_str(), &addr.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  return fd;
}

// Shuts a socket down after a deadline, so that a blocking read in a test cannot hang.
class Watchdog {
 public:
  explicit Watchdog(int fd, std::chrono::seconds after = kDeadline) : thread_([this, fd, after](std::stop_token stop) {
      const auto deadline = std::chrono::steady_clock::now() + after;
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!stop.stop_requested()) {
        fired_ = true;
        shutdown(fd, SHUT_RDWR);
      }
    }) {}
  bool fired() const { return fired_; }

 private:
  std::atomic<bool> fired_{false};
  std::jthread thread_;
};

// --- WebSocket client -------------------------------------------------------------------------

class WsClient {
 public:
  // `deadline`: how long the connection may last (Watchdog).
  explicit WsClient(std::chrono::seconds deadline = kDeadline) : deadline_(deadline) {}

  // Connects and upgrades; returns 101, or -1 when the connection or the upgrade failed.
  // `url_text` may carry a query.
  int Open(const std::string& url_text, const std::string& protocols) {
    const Url url = ParseUrl(url_text);
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(url.host), url.port);
    beast::error_code connected;
    ws_.next_layer().connect(endpoint, connected);
    if (connected) return -1;
    watchdog_ = std::make_unique<Watchdog>(ws_.next_layer().native_handle(), deadline_);
    ws_.set_option(websocket::stream_base::decorator([protocols](websocket::request_type& request) {
      if (!protocols.empty()) request.set(beast::http::field::sec_websocket_protocol, protocols);
    }));
    websocket::response_type response;
    beast::error_code ec;
    ws_.handshake(response, url.host, url.path, ec);
    if (ec) return -1;
    protocol_ = std::string(response[beast::http::field::sec_websocket_protocol]);
    ws_.binary(true);
    return static_cast<int>(response.result_int());
  }

  void Send(char channel, const std::string& data) {
    ws_.binary(true);
    ws_.write(asio::buffer(std::string(1, channel) + data));
  }

  // One message as it is: text or binary.
  void SendRaw(const std::string& message, bool text) {
    ws_.text(text);
    ws_.write(asio::buffer(message));
  }

  // Send and SendRaw for a server that may have gone: whether the message was written.
  bool TrySend(char channel, const std::string& data) { return TrySendRaw(std::string(1, channel) + data, false); }
  bool TrySendRaw(const std::string& message, bool text) {
    beast::error_code ec;
    ws_.text(text);
    ws_.write(asio::buffer(message), ec);
    return !ec;
  }

  // The next message, nullopt once the server closed.
  std::optional<std::string> Read() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return std::nullopt;
    last_was_text_ = ws_.got_text();
    return beast::buffers_to_string(buffer.data());
  }
  // Whether the message Read returned last came as text.
  bool last_was_text() const { return last_was_text_; }

  // Reads until the server closes; returns the data per channel.
  std::map<int, std::string> ReadAll() {
    std::map<int, std::string> channels;
    while (std::optional<std::string> message = Read()) {
      if (!message->empty()) channels[static_cast<unsigned char>((*message)[0])] += message->substr(1);
    }
    return channels;
  }

  void Drop() { ws_.next_layer().close(); }
  // Ends what this side sends (TCP shutdown, no close frame), still reading.
  void HalfClose() {
    beast::error_code ignored;
    ws_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
  const std::string& protocol() const { return protocol_; }
  // Whether the Watchdog had to end the connection.
  bool timed_out() const { return watchdog_ && watchdog_->fired(); }

 private:
  std::chrono::seconds deadline_ = kDeadline;
  asio::io_context io_;
  websocket::stream<asio::ip::tcp::socket> ws_{io_};
  std::unique_ptr<Watchdog> watchdog_;
  std::string protocol_;
  bool last_was_text_ = false;
};

// --- SPDY client ------------------------------------------------------------------------------

class SpdyClient {
 public:
  // `deadline`: how long the connection may last (Watchdog). `server_may_vanish`: a failed
  // connect or write is no test failure (the server was killed, or dropped the connection):
  // Open returns -1, writes stop.
  explicit SpdyClient(std::chrono::seconds deadline = kDeadline, bool server_may_vanish = false)
      : deadline_(deadline), server_may_vanish_(server_may_vanish) {}
  ~SpdyClient() {
    watchdog_.reset();
    if (fd_ >= 0) close(fd_);
  }

  // Connects and asks to upgrade; returns the HTTP status and keeps the response head.
  int Open(const std::string& url_text, const std::vector<std::string>& protocols) {
    const Url url = ParseUrl(url_text);
    fd_ = server_may_vanish_ ? TryConnect(url) : Connect(url);
    if (fd_ < 0) return -1;
    watchdog_ = std::make_unique<Watchdog>(fd_, deadline_);
    std::string request = "POST " + url.path + " HTTP/1.1\r\nHost: " + url.host +
                          "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
    for (const std::string& protocol : protocols) request += "X-Stream-Protocol-Version: " + protocol + "\r\n";
    request += "Content-Length: 0\r\n\r\n";
    WriteAll(request);
    size_t end;
    while ((end = input_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return -1;
    }
    head_ = input_.substr(0, end);
    input_.erase(0, end + 4);
    return std::stoi(head_.substr(9, 3));
  }
  const std::string& head() const { return head_; }

  // Connects over WebSocket with the SPDY tunnel subprotocol (client-go's SPDY-over-WebSocket
  // dialer): SPDY frames travel in binary messages. Returns 101 or -1.
  int OpenTunnel(const std::string& url_text) {
    tunnel_ = std::make_unique<WsClient>();
    return tunnel_->Open(url_text, "SPDY/3.1+portforward.k8s.io");
  }
  const WsClient* tunnel() const { return tunnel_.get(); }

  uint32_t OpenStream(const spdy::Headers& headers) {
    spdy::Frame frame;
    frame.type = spdy::FrameType::kSynStream;
    frame.stream_id = next_id_;
    frame.payload = compressor_.Compress(headers);
    WriteAll(spdy::SerializeFrame(frame));
    next_id_ += 2;
    return frame.stream_id;
  }

  void Send(uint32_t id, const std::string& data, bool fin = false) {
    spdy::Frame frame;
    frame.stream_id = id;
    frame.payload = data;
    frame.flags = fin ? spdy::kFlagFin : 0;
    WriteAll(spdy::SerializeFrame(frame));
  }

  // The next frame (header blocks inflated to keep the zlib stream in step); nullopt at EOF.
  std::optional<spdy::Frame> Next() {
    while (true) {
      size_t consumed = 0;
      absl::StatusOr<std::optional<spdy::Frame>> frame = spdy::ParseFrame(input_, consumed);
      EXPECT_TRUE(frame.ok()) << frame.status();
      if (!frame.ok()) return std::nullopt;
      if (frame->has_value()) {
        input_.erase(0, consumed);
        if ((*frame)->type == spdy::FrameType::kSynReply || (*frame)->type == spdy::FrameType::kHeaders) {
          EXPECT_TRUE(decompressor_.Decompress((*frame)->payload).ok());
        }
        return std::move(**frame);
      }
      if (!Fill()) return std::nullopt;
    }
  }

  // Reads until GOAWAY or EOF: the data and whether FIN came, per stream.
  std::map<uint32_t, std::string> ReadAll(std::map<uint32_t, bool>* fins = nullptr) {
    std::map<uint32_t, std::string> data;
    while (std::optional<spdy::Frame> frame = Next()) {
      if (frame->type == spdy::FrameType::kGoAway) break;
      if (frame->type != spdy::FrameType::kData) continue;
      data[frame->stream_id] += frame->payload;
      if (fins != nullptr && (frame->flags & spdy::kFlagFin)) (*fins)[frame->stream_id] = true;
    }
    return data;
  }

  void Drop() {
    if (tunnel_) return tunnel_->Drop();
    shutdown(fd_, SHUT_RDWR);
  }
  // Ends what this side sends (TCP shutdown, no GOAWAY), still reading.
  void HalfClose() {
    if (tunnel_) return tunnel_->HalfClose();
    shutdown(fd_, SHUT_WR);
  }
  // Bytes as they are, framed or not.
  void SendRaw(const std::string& bytes) { WriteAll(bytes); }
  // Whether the Watchdog had to end the connection.
  bool timed_out() const { return (watchdog_ && watchdog_->fired()) || (tunnel_ && tunnel_->timed_out()); }

 private:
  static int TryConnect(const Url& url) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(url.port);
    inet_pton(AF_INET, url.host.c_str(), &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
    close(fd);
    return -1;
  }

  bool Fill() {
    if (tunnel_) {
      std::optional<std::string> message = tunnel_->Read();
      if (!message) return false;
      input_ += *message;
      return true;
    }
    char buffer[65536];
    const ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n <= 0) return false;
    input_.append(buffer, static_cast<size_t>(n));
    return true;
  }
  void WriteAll(const std::string& bytes) {
    if (tunnel_) return tunnel_->SendRaw(bytes, false);
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0 && server_may_vanish_) return;
      ASSERT_GT(n, 0) << std::strerror(errno);
      done += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  std::unique_ptr<WsClient> tunnel_;
  std::unique_ptr<Watchdog> watchdog_;
  std::string input_;
  std::string head_;
  spdy::HeaderCompressor compressor_;
  spdy::HeaderDecompressor decompressor_;
  uint32_t next_id_ = 1;
  std::chrono::seconds deadline_;
  bool server_may_vanish_ = false;
};

// The exit code a v4 error stream reports (0 for Success).
inline int ExitCodeOf(const std::string& status_json) {
  const nlohmann::json status = nlohmann::json::parse(status_json);
  if (status.value("status", "") == "Success") return 0;
  EXPECT_EQ(status.value("reason", ""), "NonZeroExitCode") << status_json;
  return std::stoi(status["details"]["causes"][0]["message"].get<std::string>());
}

// A command for a terminal: it waits for a line, then prints the terminal's size (stty size:
// "<rows> <columns>"). `tag` (its $0) tells its process apart on the host (TerminalSizeOf).
inline std::vector<std::string> SttySizeAfterALine(const std::string& tag) {
  return {"/bin/busybox", "sh", "-c", "read line; /bin/busybox stty size", tag};
}

// The size ("<rows> <columns>") of the terminal on the stdin of the host's process running
// SttySizeAfterALine(tag); "" while there is none.
inline std::string TerminalSizeOf(const std::string& tag) {
  const std::vector<std::string> command = SttySizeAfterALine(tag);
  std::string cmdline;
  for (const std::string& arg : command) cmdline += arg + " ";
  for (const int pid : ProcessesMatching(cmdline, "")) {
    const util::UniqueFd terminal(
        open(("/proc/" + std::to_string(pid) + "/fd/0").c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    winsize size{};
    if (terminal.valid() && ioctl(terminal.get(), TIOCGWINSZ, &size) == 0) {
      return std::to_string(size.ws_row) + " " + std::to_string(size.ws_col);
    }
  }
  return "";
}

// --- the fixture --------------------------------------------------------------------------------

class Streaming : public PodFixture {
 protected:
  // `config` is cloisond's main TOML, `handler` the runtime handler of the test pods ("" =
  // the default).
  explicit Streaming(const std::string& config = "", std::string handler = "")
      : PodFixture(config), handler_(std::move(handler)) {}

  void SetUp() override {
    PodFixture::SetUp();
    if (HasFatalFailure()) return;
    runtime_ = daemon_.Runtime();
  }

  // A pod (pod_id_) with one running container, `name`-c; the container's id.
  std::string RunContainer(const std::string& name, const std::vector<std::string>& command) {
    const TestPod pod = RunPod(name, handler_);
    pod_id_ = pod.id;
    return PodFixture::RunContainer(pod, name + "-c", command);
  }

  grpc::Status ExecUrl(const std::string& id, const std::vector<std::string>& cmd, bool tty, bool in, bool out,
                       bool err, std::string* url) {
    grpc::ClientContext context;
    v1::ExecRequest request;
    request.set_container_id(id);
    for (const std::string& arg : cmd) request.add_cmd(arg);
    request.set_tty(tty);
    request.set_stdin(in);
    request.set_stdout(out);
    request.set_stderr(err);
    v1::ExecResponse response;
    grpc::Status status = runtime_->Exec(&context, request, &response);
    *url = response.url();
    return status;
  }

  std::string MustExecUrl(const std::string& id, const std::vector<std::string>& cmd, bool tty, bool in, bool out,
                          bool err) {
    std::string url;
    const grpc::Status status = ExecUrl(id, cmd, tty, in, out, err, &url);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return url;
  }

  std::string AttachUrl(const std::string& id) {
    grpc::ClientContext context;
    v1::AttachRequest request;
    request.set_container_id(id);
    request.set_stdout(true);
    request.set_stderr(true);
    v1::AttachResponse response;
    const grpc::Status status = runtime_->Attach(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.url();
  }

  std::string PortForwardUrl(const std::vector<int>& ports = {8080}) {
    grpc::ClientContext context;
    v1::PortForwardRequest request;
    request.set_pod_sandbox_id(pod_id_);
    for (int port : ports) request.add_port(port);
    v1::PortForwardResponse response;
    const grpc::Status status = runtime_->PortForward(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.url();
  }

  // Whether something in container `id`'s network namespace listens on 127.0.0.1:`port` (a
  // LISTEN line of its /proc/net/tcp), polled for up to 60 s: a test forwards the port only then.
  bool Listening(const std::string& id, int port) {
    char local[16];
    std::snprintf(local, sizeof(local), "0100007F:%04X", port);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      v1::ExecSyncResponse response;
      if (client_->Exec(id, {"/bin/busybox", "cat", "/proc/net/tcp"}, 10, &response).ok()) {
        std::istringstream lines(response.stdout());
        std::string line;
        while (std::getline(lines, line)) {
          std::istringstream fields(line);
          std::string slot, local_address, remote_address, state;
          fields >> slot >> local_address >> remote_address >> state;
          if (local_address == local && state == "0A") return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // How many clients the monitor of container `id` serves on its attach socket (under
  // cloisond's state dir): the connected sockets /proc/net/unix lists at that path.
  int AttachClients(const std::string& id) const {
    const std::string attach = (daemon_.dir().path() / "state/s" / id.substr(0, 20) / "attach").string();
    std::istringstream lines(ReadText("/proc/net/unix"));
    std::string line;
    int clients = 0;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string slot, references, protocol, flags, type, state, inode, path;
      fields >> slot >> references >> protocol >> flags >> type >> state >> inode >> path;
      if (path == attach && state == "03") ++clients;  // SS_CONNECTED
    }
    return clients;
  }

  // Processes in the container whose command line contains `text`.
  std::string Ps(const std::string& id) {
    v1::ExecSyncResponse response;
    EXPECT_TRUE(client_->Exec(id, {"/bin/busybox", "ps", "-o", "args"}, 10, &response).ok());
    return response.stdout();
  }

  const std::string handler_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::string pod_id_;
};

inline const std::vector<std::string> kSleeper = {"/bin/busybox", "sleep", "1000"};

}  // namespace cloison::testing
