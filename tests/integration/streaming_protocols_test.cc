// The streaming server's other protocol versions and framings, with the in-test clients:
// port forwarding over WebSocket (the channel protocol, binary and base64, and the SPDY tunnel
// crictl --transport websocket opens), remote command in base64 framing, SPDY remote command
// v1-v3 (plain-text errors, no resize before v3), a command that cannot start reported on the
// error stream, and the Exec/Attach/PortForward RPCs' checks.
#include "absl/strings/escaping.h"
#include "streaming_harness.h"

namespace cloison::testing {
namespace {

namespace spdy = streaming::spdy;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class StreamingProtocols : public Streaming {
 protected:
  // A pod whose container serves "hello-from-pod" over HTTP on 127.0.0.1:8080 (nothing on 8081).
  void RunHttpd(const std::string& name) {
    const std::string id = RunContainer(name, {"/bin/busybox", "sh", "-c",
                                               "mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && "
                                               "exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"});
    ASSERT_TRUE(Listening(id, 8080)) << Ps(id);
  }

  std::string AttachUrlFor(const std::string& id, bool tty, bool in, bool out, bool err, grpc::Status* status) {
    grpc::ClientContext context;
    v1::AttachRequest request;
    request.set_container_id(id);
    request.set_tty(tty);
    request.set_stdin(in);
    request.set_stdout(out);
    request.set_stderr(err);
    v1::AttachResponse response;
    *status = runtime_->Attach(&context, request, &response);
    return response.url();
  }

  grpc::Status PortForwardStatus(const std::string& pod_id, const std::vector<int>& ports) {
    grpc::ClientContext context;
    v1::PortForwardRequest request;
    request.set_pod_sandbox_id(pod_id);
    for (int port : ports) request.add_port(port);
    v1::PortForwardResponse response;
    return runtime_->PortForward(&context, request, &response);
  }
};

std::string LittleEndian(uint16_t port) { return {static_cast<char>(port & 0xff), static_cast<char>(port >> 8)}; }

// Messages of a base64 channel protocol, decoded: the data per channel.
std::map<int, std::string> ReadAllBase64(WsClient& ws) {
  std::map<int, std::string> channels;
  while (std::optional<std::string> message = ws.Read()) {
    EXPECT_TRUE(ws.last_was_text());
    if (message->empty()) continue;
    std::string data;
    EXPECT_TRUE(absl::Base64Unescape(message->substr(1), &data)) << *message;
    channels[(*message)[0] - '0'] += data;
  }
  return channels;
}

TEST_F(StreamingProtocols, WebSocketPortForwardChannels) {
  RunHttpd("wsforward");
  WsClient ws;
  ASSERT_EQ(ws.Open(PortForwardUrl({8080, 8081}), "v4.channel.k8s.io"), 101);
  EXPECT_EQ(ws.protocol(), "v4.channel.k8s.io");
  // Each channel's first message is its port, little endian: data 2n, error 2n+1.
  std::map<int, std::string> first;
  while (first.size() < 4) {
    std::optional<std::string> message = ws.Read();
    ASSERT_TRUE(message.has_value());
    ASSERT_FALSE(message->empty());
    const int channel = static_cast<unsigned char>((*message)[0]);
    if (!first.contains(channel)) first[channel] = message->substr(1);
  }
  EXPECT_EQ(first[0], LittleEndian(8080));
  EXPECT_EQ(first[1], LittleEndian(8080));
  EXPECT_EQ(first[2], LittleEndian(8081));
  EXPECT_THAT(first[3], StartsWith(LittleEndian(8081)));
  ws.Send(0, "GET / HTTP/1.0\r\n\r\n");
  std::map<int, std::string> channels = ws.ReadAll();  // the server closes once both ports ended
  EXPECT_THAT(channels[0], HasSubstr("200 OK"));
  EXPECT_THAT(channels[0], HasSubstr("hello-from-pod"));
  EXPECT_EQ(channels[1], "");
  EXPECT_THAT(first[3] + channels[3], HasSubstr("error forwarding port 8081"));
}

TEST_F(StreamingProtocols, WebSocketPortForwardBase64WithQueryPort) {
  RunHttpd("wsforward64");
  const std::string url = PortForwardUrl({});
  WsClient ws;
  ASSERT_EQ(ws.Open(url + "?port=8080", "v4.base64.channel.k8s.io"), 101);
  EXPECT_EQ(ws.protocol(), "v4.base64.channel.k8s.io");
  ws.SendRaw("0" + absl::Base64Escape("GET / HTTP/1.0\r\n\r\n"), true);
  std::map<int, std::string> channels = ReadAllBase64(ws);
  ASSERT_GE(channels[0].size(), 2u);
  EXPECT_EQ(channels[0].substr(0, 2), LittleEndian(8080));
  EXPECT_THAT(channels[0], HasSubstr("hello-from-pod"));
  EXPECT_EQ(channels[1], LittleEndian(8080));  // the prefix, and no error

  // Without ports in the request or the URL there is nothing to forward.
  WsClient none;
  EXPECT_NE(none.Open(PortForwardUrl({}), "v4.channel.k8s.io"), 101);
}

TEST_F(StreamingProtocols, SpdyTunnelledInWebSocketPortForward) {
  RunHttpd("tunnel");
  SpdyClient client;
  ASSERT_EQ(client.OpenTunnel(PortForwardUrl({})), 101);
  EXPECT_EQ(client.tunnel()->protocol(), "SPDY/3.1+portforward.k8s.io");
  const uint32_t error = client.OpenStream({{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}});
  const uint32_t data = client.OpenStream({{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}});
  client.Send(data, "GET / HTTP/1.0\r\n\r\n");
  std::map<uint32_t, std::string> received;
  std::map<uint32_t, bool> fins;
  while (!fins[data]) {
    std::optional<spdy::Frame> frame = client.Next();
    ASSERT_TRUE(frame.has_value()) << received[data];
    if (frame->type != spdy::FrameType::kData) continue;
    received[frame->stream_id] += frame->payload;
    if (frame->flags & spdy::kFlagFin) fins[frame->stream_id] = true;
  }
  EXPECT_THAT(received[data], HasSubstr("hello-from-pod"));
  EXPECT_EQ(received[error], "");
}

TEST_F(StreamingProtocols, WebSocketBase64RemoteCommand) {
  const std::string id = RunContainer("ws64", kSleeper);
  const std::vector<std::string> cmd = {"/bin/busybox", "sh", "-c", "read line; echo got:$line; exit 4"};
  WsClient v4;
  ASSERT_EQ(v4.Open(MustExecUrl(id, cmd, false, true, true, false), "v4.base64.channel.k8s.io"), 101);
  EXPECT_EQ(v4.protocol(), "v4.base64.channel.k8s.io");
  v4.SendRaw("0" + absl::Base64Escape("hi\n"), true);
  std::map<int, std::string> channels = ReadAllBase64(v4);
  EXPECT_EQ(channels[1], "got:hi\n");
  EXPECT_EQ(ExitCodeOf(channels[3]), 4);

  // base64.channel.k8s.io is version 1: the error channel carries the failure as text.
  WsClient v1;
  ASSERT_EQ(v1.Open(MustExecUrl(id, cmd, false, true, true, false), "base64.channel.k8s.io"), 101);
  v1.SendRaw("0" + absl::Base64Escape("there\n"), true);
  channels = ReadAllBase64(v1);
  EXPECT_EQ(channels[1], "got:there\n");
  EXPECT_THAT(channels[3], HasSubstr("exit code 4"));
  EXPECT_THAT(channels[3], Not(StartsWith("{")));
}

// Runs `cmd` (stdout only) over SPDY offering `protocols`; returns the error stream's data and
// whether the server sent FIN on it.
std::pair<std::string, bool> SpdyExecError(SpdyClient& client, const std::string& url,
                                           const std::vector<std::string>& protocols, std::string* out) {
  EXPECT_EQ(client.Open(url, protocols), 101) << client.head();
  const uint32_t error = client.OpenStream({{"streamtype", "error"}});
  const uint32_t stdout_id = client.OpenStream({{"streamtype", "stdout"}});
  std::map<uint32_t, bool> fins;
  std::map<uint32_t, std::string> data = client.ReadAll(&fins);
  if (out != nullptr) *out = data[stdout_id];
  return {data[error], fins[error]};
}

TEST_F(StreamingProtocols, SpdyBeforeV4ReportsErrorsAsText) {
  const std::string id = RunContainer("spdyold", kSleeper);
  for (const std::vector<std::string>& protocols :
       std::vector<std::vector<std::string>>{{}, {"channel.k8s.io"}, {"v2.channel.k8s.io"}, {"v3.channel.k8s.io"}}) {
    SCOPED_TRACE(protocols.empty() ? "no protocol" : protocols[0]);
    {
      SpdyClient client;
      std::string out;
      const auto [error, fin] = SpdyExecError(
          client, MustExecUrl(id, {"/bin/busybox", "sh", "-c", "echo out; exit 5"}, false, false, true, false),
          protocols, &out);
      EXPECT_EQ(out, "out\n");
      EXPECT_THAT(error, HasSubstr("exit code 5"));
      EXPECT_THAT(error, Not(StartsWith("{")));
      EXPECT_TRUE(fin);
      if (protocols.empty()) {
        EXPECT_THAT(client.head(), Not(HasSubstr("X-Stream-Protocol-Version")));
      }
    }
    SpdyClient client;
    const auto [error, fin] =
        SpdyExecError(client, MustExecUrl(id, {"/bin/busybox", "true"}, false, false, true, false), protocols, nullptr);
    EXPECT_EQ(error, "");  // success says nothing before v4
    EXPECT_TRUE(fin);
  }
}

// Runs SttySizeAfterALine(`tag`) (the exec `url`) in a terminal over SPDY `protocol`, opening a
// resize stream that gets the lines `before`, then asks for 99x33; returns what the command
// printed. With `resizes`, the line goes once the terminal is 99x33; without (nothing must
// change the size), after 500 ms.
std::string SpdyTtySize(SpdyClient& client, const std::string& url, const std::string& protocol,
                        const std::string& tag, bool resizes, const std::string& before = "") {
  EXPECT_EQ(client.Open(url, {protocol}), 101) << client.head();
  client.OpenStream({{"streamtype", "error"}});
  const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
  const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
  const uint32_t resize = client.OpenStream({{"streamtype", "resize"}});
  client.Send(resize, before + "{\"Width\":99,\"Height\":33}\n");
  if (resizes) {
    EXPECT_TRUE(WaitUntil([&] { return TerminalSizeOf(tag) == "33 99"; }, std::chrono::seconds(10)))
        << TerminalSizeOf(tag);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // time for a resize that must not come
  }
  client.Send(in, "go\r");
  return client.ReadAll()[out];
}

TEST_F(StreamingProtocols, SpdyResizeFromV3Only) {
  const std::string id = RunContainer("spdyresize", kSleeper);
  const std::vector<std::string> cmd = SttySizeAfterALine(id);
  SpdyClient v3;
  EXPECT_THAT(SpdyTtySize(v3, MustExecUrl(id, cmd, true, true, true, false), "v3.channel.k8s.io", id, true),
              HasSubstr("33 99"));
  // v2 has no resize stream: the session starts without one and ignores it; the terminal keeps
  // its initial 80x24.
  SpdyClient v2;
  const std::string output =
      SpdyTtySize(v2, MustExecUrl(id, cmd, true, true, true, false), "v2.channel.k8s.io", id, false);
  EXPECT_THAT(output, HasSubstr("24 80"));
  EXPECT_THAT(output, Not(HasSubstr("33 99")));
}

// Resize messages come from the client: ones that are not two sizes (a string, null, a number
// past uint16) are ignored, where they used to throw on the streaming thread and end cloisond;
// the valid one after them still resizes, and the daemon still answers.
TEST_F(StreamingProtocols, MalformedResizeMessagesAreIgnored) {
  const std::string id = RunContainer("badresize", kSleeper);
  SpdyClient client;
  const std::string output =
      SpdyTtySize(client, MustExecUrl(id, SttySizeAfterALine(id), true, true, true, false), "v4.channel.k8s.io", id,
                  true, "{\"Width\":\"80\",\"Height\":24}\nnull\n{\"Width\":1e30,\"Height\":5}\n[1,2]\n");
  EXPECT_THAT(output, HasSubstr("33 99"));
  v1::StatusResponse status;
  EXPECT_TRUE(client_->RuntimeStatus(&status).ok());
}

TEST_F(StreamingProtocols, CommandThatCannotStartIsReportedOnTheErrorStream) {
  const std::string id = RunContainer("cannotstart", kSleeper);
  const std::string ws_url = MustExecUrl(id, {"/bin/busybox", "true"}, false, false, true, false);
  const std::string spdy_url = MustExecUrl(id, {"/bin/busybox", "true"}, false, false, true, false);
  grpc::Status status;
  const std::string attach_url = AttachUrlFor(id, false, false, true, true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(client_->Stop(id, 0).ok());  // the URLs outlive the container

  WsClient ws;
  ASSERT_EQ(ws.Open(ws_url, "v4.channel.k8s.io"), 101);
  const nlohmann::json failure = nlohmann::json::parse(ws.ReadAll()[3]);
  EXPECT_EQ(failure.value("status", ""), "Failure");
  EXPECT_THAT(failure.value("message", ""), HasSubstr("not running"));

  SpdyClient spdy_client;
  const auto [error, fin] = SpdyExecError(spdy_client, spdy_url, {"v3.channel.k8s.io"}, nullptr);
  EXPECT_THAT(error, HasSubstr("not running"));
  EXPECT_TRUE(fin);

  WsClient attach;
  ASSERT_EQ(attach.Open(attach_url, "v5.channel.k8s.io"), 101);
  EXPECT_THAT(nlohmann::json::parse(attach.ReadAll()[3]).value("message", ""), HasSubstr("not running"));
}

TEST_F(StreamingProtocols, RpcsValidateAttachPortForwardAndState) {
  const std::string id = RunContainer("validate", kSleeper);
  grpc::Status status;
  AttachUrlFor(id, true, true, true, true, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("tty and stderr"));
  AttachUrlFor(id, false, false, false, false, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("stdin, stdout and stderr"));
  AttachUrlFor("", false, false, true, false, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("container_id"));
  AttachUrlFor("no-such-container", false, false, true, false, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  std::string url;
  EXPECT_EQ(ExecUrl("", {"ls"}, false, false, true, false, &url).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  status = PortForwardStatus("", {8080});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("pod_sandbox_id"));
  status = PortForwardStatus(pod_id_, {70000});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("70000"));
  EXPECT_EQ(PortForwardStatus("no-such-pod", {8080}).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(PortForwardStatus(pod_id_, {}).ok());  // SPDY clients name their ports per stream

  // A stopped container takes no exec or attach; a stopped pod no port forwarding.
  ASSERT_TRUE(client_->Stop(id, 0).ok());
  status = ExecUrl(id, {"ls"}, false, false, true, false, &url);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not running"));
  AttachUrlFor(id, false, false, true, false, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(client_->StopPod(pod_id_).ok());
  status = PortForwardStatus(pod_id_, {8080});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not ready"));
}


size_t OpenFdsOf(pid_t pid) {
  size_t count = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  return count;
}

// One HTTP/1.0 GET through a new stream pair of `client` (request `request_id`); the data
// stream's bytes once the server closed it.
std::string ForwardedGet(SpdyClient& client, int request_id) {
  const std::string id = std::to_string(request_id);
  client.OpenStream({{"streamtype", "error"}, {"port", "8080"}, {"requestid", id}});
  const uint32_t data = client.OpenStream({{"streamtype", "data"}, {"port", "8080"}, {"requestid", id}});
  client.Send(data, "GET / HTTP/1.0\r\n\r\n", true);
  std::string received;
  while (std::optional<spdy::Frame> frame = client.Next()) {
    if (frame->type != spdy::FrameType::kData || frame->stream_id != data) continue;
    received += frame->payload;
    if (frame->flags & spdy::kFlagFin) break;
  }
  return received;
}

// kubectl port-forward keeps one session and opens a stream pair per local connection: each
// finished connection is forgotten with its socket into the pod, however many come.
TEST_F(StreamingProtocols, SpdyPortForwardFreesEachFinishedConnection) {
  RunHttpd("pfmany");
  SpdyClient client;
  ASSERT_EQ(client.Open(PortForwardUrl(), {"portforward.k8s.io"}), 101) << client.head();
  ASSERT_THAT(ForwardedGet(client, 0), HasSubstr("hello-from-pod"));
  const size_t fds_before = OpenFdsOf(daemon_.pid());
  for (int request = 1; request <= 40; ++request) {
    ASSERT_THAT(ForwardedGet(client, request), HasSubstr("hello-from-pod")) << request;
  }
  // The pod's side closes first; the pair goes once cloisond has the client's FIN too.
  EXPECT_TRUE(WaitUntil([&] { return OpenFdsOf(daemon_.pid()) <= fds_before + 5; }, std::chrono::seconds(5)))
      << OpenFdsOf(daemon_.pid()) << " open, " << fds_before << " before the 40 connections";
}

// As kubelet: a pair whose other stream never comes is answered on its error stream after 30 s.
TEST_F(StreamingProtocols, SpdyPortForwardPairWithoutItsDataStreamTimesOut) {
  RunHttpd("pfhalf");
  SpdyClient client(std::chrono::seconds(60));
  ASSERT_EQ(client.Open(PortForwardUrl(), {"portforward.k8s.io"}), 101) << client.head();
  const uint32_t error = client.OpenStream({{"streamtype", "error"}, {"port", "8080"}, {"requestid", "7"}});
  const auto start = std::chrono::steady_clock::now();
  std::string received;
  bool fin = false;
  while (!fin) {
    std::optional<spdy::Frame> frame = client.Next();
    ASSERT_TRUE(frame.has_value()) << received;
    if (frame->type != spdy::FrameType::kData || frame->stream_id != error) continue;
    received += frame->payload;
    fin = (frame->flags & spdy::kFlagFin) != 0;
  }
  EXPECT_THAT(received, HasSubstr("timed out waiting for streams"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
  // The session goes on: a complete pair still forwards.
  EXPECT_THAT(ForwardedGet(client, 8), HasSubstr("hello-from-pod"));
}

// cloisond with a 2 s stream idle timeout ([streaming] idle_timeout).
class StreamingIdleTimeout : public Streaming {
 protected:
  StreamingIdleTimeout() : Streaming("[streaming]\nidle_timeout = 2\n") {}

  bool ExecGone(const std::string& needle) {
    return WaitUntil([&] { return ProcessesMatching("/bin/busybox", needle).empty(); }, std::chrono::seconds(10));
  }
};

TEST_F(StreamingIdleTimeout, SessionsWithNoTrafficAreClosedAndTheirExecsKilled) {
  const std::string id = RunContainer("idle", kSleeper);
  // Output every half second for 4 s keeps a session open past the 2 s timeout.
  {
    SpdyClient client;
    std::string out;
    const auto [error, fin] = SpdyExecError(
        client,
        MustExecUrl(id, {"/bin/busybox", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo tick; sleep 0.5; done"},
                    false, false, true, false),
        {"v4.channel.k8s.io"}, &out);
    EXPECT_EQ(out, "tick\ntick\ntick\ntick\ntick\ntick\ntick\ntick\n");
    EXPECT_EQ(ExitCodeOf(error), 0) << error;
  }
  // Silence ends a SPDY session after about 2 s (the client's watchdog would end it after 20).
  {
    SpdyClient client;
    const auto start = std::chrono::steady_clock::now();
    SpdyExecError(client, MustExecUrl(id, {"/bin/busybox", "sleep", "31"}, false, false, true, false),
                  {"v4.channel.k8s.io"}, nullptr);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, std::chrono::milliseconds(1500));
    EXPECT_LT(took, std::chrono::seconds(10));
    EXPECT_TRUE(ExecGone("sleep 31")) << Ps(id);
  }
  // And a WebSocket one.
  {
    WsClient client;
    ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "32"}, false, false, true, false),
                          "v4.channel.k8s.io"),
              101);
    const auto start = std::chrono::steady_clock::now();
    client.ReadAll();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, std::chrono::milliseconds(1500));
    EXPECT_LT(took, std::chrono::seconds(10));
    EXPECT_TRUE(ExecGone("sleep 32")) << Ps(id);
  }
}

}  // namespace
}  // namespace cloison::testing
