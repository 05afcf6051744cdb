// Exec, Attach and PortForward through cloisond's streaming server, with clients written here:
// WebSocket (Boost.Beast, the channel protocols crictl --transport websocket speaks) and SPDY/3.1
// (on the module's own frame codec, the protocol kubelet speaks).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "cloison/streaming/spdy_frame.h"
#include "cloison/streaming/spdy_headers.h"
#include "cri_client.h"
#include "local_registry.h"
#include "nlohmann/json.hpp"

namespace cloison::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace spdy = streaming::spdy;
using ::testing::HasSubstr;

constexpr auto kDeadline = std::chrono::seconds(20);

struct Url {
  std::string host;
  uint16_t port = 0;
  std::string path;
};

Url ParseUrl(const std::string& url) {
  const std::string rest = url.substr(std::string("http://").size());
  const size_t colon = rest.find(':');
  const size_t slash = rest.find('/');
  return {rest.substr(0, colon), static_cast<uint16_t>(std::stoi(rest.substr(colon + 1, slash - colon - 1))),
          rest.substr(slash)};
}

int Connect(const Url& url) {
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
  explicit Watchdog(int fd) : thread_([this, fd](std::stop_token stop) {
      const auto deadline = std::chrono::steady_clock::now() + kDeadline;
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
  // Connects and upgrades; returns 101, or -1 when the server refused the upgrade.
  int Open(const std::string& url_text, const std::string& protocols) {
    const Url url = ParseUrl(url_text);
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(url.host), url.port);
    ws_.next_layer().connect(endpoint);
    watchdog_ = std::make_unique<Watchdog>(ws_.next_layer().native_handle());
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
    ws_.write(asio::buffer(std::string(1, channel) + data));
  }

  // The next message, nullopt once the server closed.
  std::optional<std::string> Read() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

  // Reads until the server closes; returns the data per channel.
  std::map<int, std::string> ReadAll() {
    std::map<int, std::string> channels;
    while (std::optional<std::string> message = Read()) {
      if (!message->empty()) channels[static_cast<unsigned char>((*message)[0])] += message->substr(1);
    }
    return channels;
  }

  void Drop() { ws_.next_layer().close(); }
  const std::string& protocol() const { return protocol_; }

 private:
  asio::io_context io_;
  websocket::stream<asio::ip::tcp::socket> ws_{io_};
  std::unique_ptr<Watchdog> watchdog_;
  std::string protocol_;
};

// --- SPDY client ------------------------------------------------------------------------------

class SpdyClient {
 public:
  ~SpdyClient() {
    watchdog_.reset();
    if (fd_ >= 0) close(fd_);
  }

  // Connects and asks to upgrade; returns the HTTP status and keeps the response head.
  int Open(const std::string& url_text, const std::vector<std::string>& protocols) {
    const Url url = ParseUrl(url_text);
    fd_ = Connect(url);
    watchdog_ = std::make_unique<Watchdog>(fd_);
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

  void Drop() { shutdown(fd_, SHUT_RDWR); }

 private:
  bool Fill() {
    char buffer[65536];
    const ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n <= 0) return false;
    input_.append(buffer, static_cast<size_t>(n));
    return true;
  }
  void WriteAll(const std::string& bytes) {
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      ASSERT_GT(n, 0) << std::strerror(errno);
      done += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  std::unique_ptr<Watchdog> watchdog_;
  std::string input_;
  std::string head_;
  spdy::HeaderCompressor compressor_;
  spdy::HeaderDecompressor decompressor_;
  uint32_t next_id_ = 1;
};

// The exit code a v4 error stream reports (0 for Success).
int ExitCodeOf(const std::string& status_json) {
  const nlohmann::json status = nlohmann::json::parse(status_json);
  if (status.value("status", "") == "Success") return 0;
  EXPECT_EQ(status.value("reason", ""), "NonZeroExitCode") << status_json;
  return std::stoi(status["details"]["causes"][0]["message"].get<std::string>());
}

// --- the fixture --------------------------------------------------------------------------------

class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = LocalRegistry::Start();
    ASSERT_NE(registry_, nullptr);
    registry_->Push("busybox", "library/busybox:1.0");
    image_ = registry_->host() + "/library/busybox:1.0";
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
    runtime_ = daemon_.Runtime();
    ASSERT_TRUE(client_->Pull(image_).ok());
  }

  void TearDown() override {
    if (daemon_.pid() > 0) {
      for (const v1::PodSandbox& pod : client_->ListPods()) {
        EXPECT_TRUE(client_->StopPod(pod.id()).ok());
        EXPECT_TRUE(client_->RemovePod(pod.id()).ok());
      }
    }
  }

  // A pod with one running container.
  std::string RunContainer(const std::string& name, const std::vector<std::string>& command) {
    const v1::PodSandboxConfig pod_config = PodConfig(name, (daemon_.dir().path() / "logs").string());
    grpc::Status status = client_->RunPod(pod_config, &pod_id_);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    std::string id;
    status = client_->Create(pod_id_, ContainerConfig(name + "-c", image_, command), pod_config, &id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    status = client_->Start(id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return id;
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

  std::string PortForwardUrl() {
    grpc::ClientContext context;
    v1::PortForwardRequest request;
    request.set_pod_sandbox_id(pod_id_);
    request.add_port(8080);
    v1::PortForwardResponse response;
    const grpc::Status status = runtime_->PortForward(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.url();
  }

  // Processes in the container whose command line contains `text`.
  std::string Ps(const std::string& id) {
    v1::ExecSyncResponse response;
    EXPECT_TRUE(client_->Exec(id, {"/bin/busybox", "ps", "-o", "args"}, 10, &response).ok());
    return response.stdout();
  }

  std::unique_ptr<LocalRegistry> registry_;
  std::string image_;
  CloisondProcess daemon_;
  std::unique_ptr<CriClient> client_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::string pod_id_;
};

const std::vector<std::string> kSleeper = {"/bin/busybox", "sleep", "1000"};

TEST_F(Streaming, RpcsValidateTheRequest) {
  const std::string id = RunContainer("rpc", kSleeper);
  std::string url;
  grpc::Status status = ExecUrl(id, {"ls"}, true, false, true, true, &url);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("tty and stderr"));
  status = ExecUrl(id, {"ls"}, false, false, false, false, &url);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("stdin, stdout and stderr"));
  status = ExecUrl(id, {}, false, false, true, false, &url);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("cmd"));
  EXPECT_EQ(ExecUrl("no-such-container", {"ls"}, false, false, true, false, &url).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(ExecUrl(id, {"ls"}, false, false, true, false, &url).ok());
  EXPECT_THAT(url, ::testing::MatchesRegex("http://127\\.0\\.0\\.1:[0-9]+/exec/[A-Za-z0-9_-]{8}"));
}

TEST_F(Streaming, TokensAreSingleUse) {
  const std::string id = RunContainer("token", kSleeper);
  const std::string url = MustExecUrl(id, {"/bin/busybox", "true"}, false, false, true, false);
  {
    WsClient first;
    ASSERT_EQ(first.Open(url, "v4.channel.k8s.io"), 101);
    EXPECT_EQ(ExitCodeOf(first.ReadAll()[3]), 0);
  }
  WsClient again;
  EXPECT_NE(again.Open(url, "v4.channel.k8s.io"), 101);  // Beast's client does not report the status
  SpdyClient reused;
  EXPECT_EQ(reused.Open(url, {"v4.channel.k8s.io"}), 404);
  EXPECT_THAT(reused.head(), HasSubstr("HTTP/1.1 404"));
  SpdyClient bogus;
  EXPECT_EQ(bogus.Open(url.substr(0, url.rfind('/')) + "/AAAAAAAA", {"v4.channel.k8s.io"}), 404);
}

TEST_F(Streaming, WebSocketExecExitCodeAndOutput) {
  const std::string id = RunContainer("wsexit", kSleeper);
  WsClient ws;
  ASSERT_EQ(ws.Open(MustExecUrl(id, {"/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 3"}, false, false,
                                true, true),
                    "v4.channel.k8s.io"),
            101);
  EXPECT_EQ(ws.protocol(), "v4.channel.k8s.io");
  std::map<int, std::string> channels = ws.ReadAll();
  EXPECT_EQ(channels[1], "out\n");
  EXPECT_EQ(channels[2], "err\n");
  EXPECT_EQ(ExitCodeOf(channels[3]), 3);
}

TEST_F(Streaming, WebSocketV5StdinEchoAndClose) {
  const std::string id = RunContainer("wscat", kSleeper);
  WsClient ws;
  ASSERT_EQ(ws.Open(MustExecUrl(id, {"/bin/busybox", "cat"}, false, true, true, false),
                    "v5.channel.k8s.io, v4.channel.k8s.io"),
            101);
  EXPECT_EQ(ws.protocol(), "v5.channel.k8s.io");
  ws.Send(0, "hello ");
  ws.Send(0, "world\n");
  ws.Send(static_cast<char>(255), std::string(1, '\0'));  // v5: stdin closed
  std::map<int, std::string> channels = ws.ReadAll();
  EXPECT_EQ(channels[1], "hello world\n");
  EXPECT_EQ(ExitCodeOf(channels[3]), 0);
}

TEST_F(Streaming, WebSocketTtyResizeReachesStty) {
  const std::string id = RunContainer("wstty", kSleeper);
  WsClient ws;
  ASSERT_EQ(ws.Open(MustExecUrl(id, {"/bin/busybox", "sh", "-c", "read line; /bin/busybox stty size"}, true, true,
                                true, false),
                    "v4.channel.k8s.io"),
            101);
  ws.Send(4, R"({"Width":123,"Height":45})");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ws.Send(0, "go\r");
  std::map<int, std::string> channels = ws.ReadAll();
  EXPECT_THAT(channels[1], HasSubstr("45 123"));
  EXPECT_EQ(ExitCodeOf(channels[3]), 0);
}

TEST_F(Streaming, SpdyExecExitCodeStdinAndStreams) {
  const std::string id = RunContainer("spdyexec", kSleeper);
  SpdyClient client;
  ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sh", "-c", "/bin/busybox cat; echo err >&2; exit 3"},
                                    false, true, true, true),
                        {"v4.channel.k8s.io", "v3.channel.k8s.io"}),
            101)
      << client.head();
  EXPECT_THAT(client.head(), HasSubstr("X-Stream-Protocol-Version: v4.channel.k8s.io"));
  const uint32_t error = client.OpenStream({{"streamtype", "error"}});
  const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
  const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
  const uint32_t err = client.OpenStream({{"streamtype", "stderr"}});
  client.Send(in, "through cat\n", true);
  std::map<uint32_t, bool> fins;
  std::map<uint32_t, std::string> data = client.ReadAll(&fins);
  EXPECT_EQ(data[out], "through cat\n");
  EXPECT_EQ(data[err], "err\n");
  EXPECT_EQ(ExitCodeOf(data[error]), 3);
  EXPECT_TRUE(fins[out] && fins[err] && fins[error]);
}

TEST_F(Streaming, SpdyRefusesUnknownProtocols) {
  const std::string id = RunContainer("spdyproto", kSleeper);
  SpdyClient client;
  EXPECT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "true"}, false, false, true, false), {"v9.channel.k8s.io"}),
            403);
  EXPECT_THAT(client.head(), HasSubstr("X-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io"));
}

TEST_F(Streaming, SpdyTtyResize) {
  const std::string id = RunContainer("spdytty", kSleeper);
  SpdyClient client;
  ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sh", "-c", "read line; /bin/busybox stty size"}, true,
                                    true, true, false),
                        {"v4.channel.k8s.io"}),
            101);
  const uint32_t error = client.OpenStream({{"streamtype", "error"}});
  const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
  const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
  const uint32_t resize = client.OpenStream({{"streamtype", "resize"}});
  client.Send(resize, "{\"Width\":99,\"Height\":33}\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  client.Send(in, "go\r");
  std::map<uint32_t, std::string> data = client.ReadAll();
  EXPECT_THAT(data[out], HasSubstr("33 99"));
  EXPECT_EQ(ExitCodeOf(data[error]), 0);
}

TEST_F(Streaming, AttachSeesTheContainersOutput) {
  const std::string id =
      RunContainer("attach", {"/bin/busybox", "sh", "-c", "while true; do echo tick; /bin/busybox sleep 0.2; done"});
  WsClient ws;
  ASSERT_EQ(ws.Open(AttachUrl(id), "v4.channel.k8s.io"), 101);
  std::string seen;
  while (seen.find("tick\ntick\n") == std::string::npos) {
    std::optional<std::string> message = ws.Read();
    ASSERT_TRUE(message.has_value()) << seen;
    if (!message->empty() && (*message)[0] == 1) seen += message->substr(1);
  }
  ws.Drop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);  // detaching stops nothing
}

TEST_F(Streaming, SpdyPortForwardToHttpdInThePod) {
  RunContainer("forward", {"/bin/busybox", "sh", "-c",
                           "mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && "
                           "exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // httpd binds
  SpdyClient client;
  ASSERT_EQ(client.Open(PortForwardUrl(), {"portforward.k8s.io"}), 101) << client.head();
  const uint32_t error = client.OpenStream({{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}});
  const uint32_t data = client.OpenStream({{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}});
  client.Send(data, "GET / HTTP/1.0\r\n\r\n");
  const uint32_t closed_error = client.OpenStream({{"streamtype", "error"}, {"port", "8081"}, {"requestid", "1"}});
  client.OpenStream({{"streamtype", "data"}, {"port", "8081"}, {"requestid", "1"}});
  std::map<uint32_t, std::string> received;
  std::map<uint32_t, bool> fins;
  while (!(fins[data] && fins[closed_error])) {
    std::optional<spdy::Frame> frame = client.Next();
    ASSERT_TRUE(frame.has_value()) << received[data];
    if (frame->type != spdy::FrameType::kData) continue;
    received[frame->stream_id] += frame->payload;
    if (frame->flags & spdy::kFlagFin) fins[frame->stream_id] = true;
  }
  EXPECT_THAT(received[data], HasSubstr("200 OK"));
  EXPECT_THAT(received[data], HasSubstr("hello-from-pod"));
  EXPECT_EQ(received[error], "");
  EXPECT_THAT(received[closed_error], HasSubstr("error forwarding port 8081"));
}

TEST_F(Streaming, ClientGoneKillsTheExec) {
  const std::string id = RunContainer("gone", kSleeper);
  {
    WsClient ws;
    ASSERT_EQ(ws.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "777"}, false, false, true, false),
                      "v4.channel.k8s.io"),
              101);
    ASSERT_TRUE(ws.Read().has_value());  // the ready message: the exec runs
    for (int i = 0; i < 50 && Ps(id).find("sleep 777") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_THAT(Ps(id), HasSubstr("sleep 777"));
    ws.Drop();
  }
  {
    SpdyClient client;
    ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "778"}, false, false, true, false),
                          {"v4.channel.k8s.io"}),
              101);
    client.OpenStream({{"streamtype", "error"}});
    client.OpenStream({{"streamtype", "stdout"}});
    for (int i = 0; i < 50 && Ps(id).find("sleep 778") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_THAT(Ps(id), HasSubstr("sleep 778"));
    client.Drop();
  }
  std::string ps = Ps(id);
  for (int i = 0; i < 50 && (ps.find("sleep 777") != std::string::npos || ps.find("sleep 778") != std::string::npos);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ps = Ps(id);
  }
  EXPECT_THAT(ps, ::testing::Not(HasSubstr("sleep 77")));
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);
  // Each exec's work directory goes once its runtime process is reaped.
  const std::filesystem::path state_dir = daemon_.dir().path() / "state/containers" / id;
  auto exec_dirs = [&] {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(state_dir)) {
      count += entry.path().filename().string().rfind("exec-", 0) == 0 ? 1 : 0;
    }
    return count;
  };
  for (int i = 0; i < 50 && exec_dirs() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(exec_dirs(), 0);
}

}  // namespace
}  // namespace cloison::testing
