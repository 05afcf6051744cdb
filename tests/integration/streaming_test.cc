// Exec, Attach and PortForward through cloisond's streaming server: the RPCs' checks, tokens,
// WebSocket v4/v5 and SPDY v4 remote commands, attach, SPDY port forwarding, and a client that
// goes away. Other protocol versions and framings: streaming_protocols_test.cc.
#include "absl/strings/ascii.h"
#include "streaming_harness.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

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
  ASSERT_EQ(ws.Open(MustExecUrl(id, SttySizeAfterALine(id), true, true, true, false), "v4.channel.k8s.io"), 101);
  ws.Send(4, R"({"Width":123,"Height":45})");
  // The line that lets the command print its size goes once the terminal has the new one.
  EXPECT_TRUE(WaitUntil([&] { return TerminalSizeOf(id) == "45 123"; }, std::chrono::seconds(10)))
      << TerminalSizeOf(id);
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

// Resident memory of process `pid`, in KiB.
long RssKiB(pid_t pid) {
  std::istringstream status(ReadText("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// 32 MiB of stdin for a command that reads nothing for 5 s, then counts what it gets: cloisond
// holds at most a few MiB of it meanwhile (it stops reading the client), and all of it arrives.
constexpr size_t kStdinChunks = 512, kStdinChunk = 64 << 10;
const std::vector<std::string> kSlowReader = {"/bin/busybox", "sh", "-c", "sleep 5; /bin/busybox wc -c"};

// The largest RSS growth of cloisond over its RSS at the start, polled until `done`.
long PeakGrowthKiB(pid_t pid, long start, const std::atomic<bool>& done) {
  long peak = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    peak = std::max(peak, RssKiB(pid) - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return peak;
}

TEST_F(Streaming, SpdyStdinForASlowReaderIsHeldBackNotBuffered) {
  const std::string id = RunContainer("slowstdin", kSleeper);
  SpdyClient client;
  ASSERT_EQ(client.Open(MustExecUrl(id, kSlowReader, false, true, true, false), {"v4.channel.k8s.io"}), 101);
  const uint32_t error = client.OpenStream({{"streamtype", "error"}});
  const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
  const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
  const long start = RssKiB(daemon_.pid());
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    const std::string chunk(kStdinChunk, 'x');
    for (size_t i = 0; i < kStdinChunks; ++i) client.Send(in, chunk);
    client.Send(in, "", true);
    sent = true;
  });
  const long growth = PeakGrowthKiB(daemon_.pid(), start, sent);
  sender.join();
  std::map<uint32_t, std::string> data = client.ReadAll();
  EXPECT_LT(growth, 10 * 1024) << "KiB more than before the 32 MiB were sent";
  EXPECT_EQ(absl::StripAsciiWhitespace(data[out]), std::to_string(kStdinChunks * kStdinChunk));
  EXPECT_EQ(ExitCodeOf(data[error]), 0) << data[error];
}

TEST_F(Streaming, WebSocketStdinForASlowReaderIsHeldBackNotBuffered) {
  const std::string id = RunContainer("slowwsstdin", kSleeper);
  WsClient client;
  ASSERT_EQ(client.Open(MustExecUrl(id, kSlowReader, false, true, true, false), "v5.channel.k8s.io"), 101);
  const long start = RssKiB(daemon_.pid());
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    const std::string chunk(kStdinChunk, 'x');
    for (size_t i = 0; i < kStdinChunks; ++i) client.Send(0, chunk);
    client.Send(static_cast<char>(255), std::string(1, '\0'));  // v5 CLOSE of stdin
    sent = true;
  });
  const long growth = PeakGrowthKiB(daemon_.pid(), start, sent);
  sender.join();
  std::map<int, std::string> channels = client.ReadAll();
  EXPECT_LT(growth, 10 * 1024) << "KiB more than before the 32 MiB were sent";
  EXPECT_EQ(absl::StripAsciiWhitespace(channels[1]), std::to_string(kStdinChunks * kStdinChunk));
  EXPECT_EQ(ExitCodeOf(channels[3]), 0) << channels[3];
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
  ASSERT_EQ(client.Open(MustExecUrl(id, SttySizeAfterALine(id), true, true, true, false), {"v4.channel.k8s.io"}), 101);
  const uint32_t error = client.OpenStream({{"streamtype", "error"}});
  const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
  const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
  const uint32_t resize = client.OpenStream({{"streamtype", "resize"}});
  client.Send(resize, "{\"Width\":99,\"Height\":33}\n");
  EXPECT_TRUE(WaitUntil([&] { return TerminalSizeOf(id) == "33 99"; }, std::chrono::seconds(10)))
      << TerminalSizeOf(id);
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
  EXPECT_EQ(AttachClients(id), 1);
  ws.Drop();
  // Detaching stops nothing: once the monitor has let the client go, the container still writes.
  ASSERT_TRUE(WaitUntil([&] { return AttachClients(id) == 0; }, std::chrono::seconds(10)));
  const size_t logged = LogOf("attach-c").size();
  EXPECT_TRUE(WaitUntil([&] { return LogOf("attach-c").size() > logged; }, std::chrono::seconds(10)));
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);
}

TEST_F(Streaming, SpdyPortForwardToHttpdInThePod) {
  const std::string id =
      RunContainer("forward", {"/bin/busybox", "sh", "-c",
                               "mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && "
                               "exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"});
  ASSERT_TRUE(Listening(id, 8080)) << Ps(id);
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
    WaitUntil([&] { return Ps(id).find("sleep 777") != std::string::npos; }, std::chrono::seconds(10));
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
    WaitUntil([&] { return Ps(id).find("sleep 778") != std::string::npos; }, std::chrono::seconds(10));
    ASSERT_THAT(Ps(id), HasSubstr("sleep 778"));
    client.Drop();
  }
  std::string ps;
  WaitUntil([&] { return (ps = Ps(id)).find("sleep 77") == std::string::npos; }, std::chrono::seconds(10));
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
  WaitUntil([&] { return exec_dirs() == 0; }, std::chrono::seconds(10));
  EXPECT_EQ(exec_dirs(), 0);
}

}  // namespace
}  // namespace cloison::testing
