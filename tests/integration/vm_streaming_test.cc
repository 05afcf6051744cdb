// Interactive exec (the streaming server's Exec) in a "vm" handler's container, driven with
// Debian's containerd-shim-runc-v2: cloison-monitor --shim-exec relays stdin, output, the exit
// code and terminal resizes through the shim, a client that goes away leaves no exec process
// behind, and attach reads the output the container's monitor drains from the shim's FIFOs.
// Skipped when the shim is not installed.
#include "streaming_harness.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kConfig[] =
    "[runtimes.runc-shim]\nruntime_type = \"vm\"\nruntime_path = \"containerd-shim-runc-v2\"\n";

class VmStreaming : public Streaming {
 protected:
  VmStreaming() : Streaming(kConfig, "runc-shim") {}

  void SetUp() override {
    if (access(kShim, X_OK) != 0) GTEST_SKIP() << kShim << " is not installed";
    Streaming::SetUp();
  }
};

TEST_F(VmStreaming, SpdyExecEchoesStdinAndReportsTheExitCode) {
  const std::string id = RunContainer("vmcat", kSleeper);
  SpdyClient client;
  ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sh", "-c", "/bin/busybox cat; echo err >&2; exit 3"}, false,
                                    true, true, true),
                        {"v4.channel.k8s.io"}),
            101)
      << client.head();
  const uint32_t error = client.OpenStream({{"streamtype", "error"}});
  const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
  const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
  const uint32_t err = client.OpenStream({{"streamtype", "stderr"}});
  client.Send(in, "through the shim\n", true);
  std::map<uint32_t, std::string> data = client.ReadAll();
  EXPECT_EQ(data[out], "through the shim\n");
  EXPECT_EQ(data[err], "err\n");
  EXPECT_EQ(ExitCodeOf(data[error]), 3) << daemon_.Log();
}

TEST_F(VmStreaming, AttachSeesTheContainersOutputThroughTheMonitor) {
  const std::string id =
      RunContainer("vmattach", {"/bin/busybox", "sh", "-c", "while true; do echo tick; /bin/busybox sleep 0.2; done"});
  WsClient ws;
  ASSERT_EQ(ws.Open(AttachUrl(id), "v4.channel.k8s.io"), 101);
  std::string seen;
  while (seen.find("tick\ntick\n") == std::string::npos) {
    std::optional<std::string> message = ws.Read();
    ASSERT_TRUE(message.has_value()) << seen << daemon_.Log();
    if (!message->empty() && (*message)[0] == 1) seen += message->substr(1);
  }
  EXPECT_EQ(AttachClients(id), 1);
  ws.Drop();
  // Detaching stops nothing: once the monitor has let the client go, the container still writes.
  ASSERT_TRUE(WaitUntil([&] { return AttachClients(id) == 0; }, std::chrono::seconds(10))) << daemon_.Log();
  const size_t logged = LogOf("vmattach-c").size();
  EXPECT_TRUE(WaitUntil([&] { return LogOf("vmattach-c").size() > logged; }, std::chrono::seconds(10)));
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);
}

TEST_F(VmStreaming, WebSocketTtyResizeReachesStty) {
  const std::string id = RunContainer("vmtty", kSleeper);
  WsClient ws;
  ASSERT_EQ(ws.Open(MustExecUrl(id, SttySizeAfterALine(id), true, true, true, false), "v4.channel.k8s.io"), 101);
  ws.Send(4, R"({"Width":123,"Height":45})");
  // The line that lets the command print its size goes once the terminal (the shim's, in the
  // container) has the new one.
  EXPECT_TRUE(WaitUntil([&] { return TerminalSizeOf(id) == "45 123"; }, std::chrono::seconds(10)))
      << TerminalSizeOf(id);
  ws.Send(0, "go\r");
  std::map<int, std::string> channels = ws.ReadAll();
  EXPECT_THAT(channels[1], HasSubstr("45 123"));
  EXPECT_EQ(ExitCodeOf(channels[3]), 0) << daemon_.Log();
}

TEST_F(VmStreaming, ClientGoneLeavesNoExecProcess) {
  const std::string id = RunContainer("vmgone", kSleeper);
  for (const bool tty : {false, true}) {
    const std::string sleeper = tty ? "sleep 778" : "sleep 777";
    {
      WsClient ws;
      ASSERT_EQ(ws.Open(MustExecUrl(id, {"/bin/busybox", "sleep", sleeper.substr(6)}, tty, tty, true, false),
                        "v4.channel.k8s.io"),
                101);
      WaitUntil([&] { return Ps(id).find(sleeper) != std::string::npos; }, std::chrono::seconds(10));
      ASSERT_THAT(Ps(id), HasSubstr(sleeper));
      ws.Drop();
    }
    std::string ps;
    WaitUntil([&] { return (ps = Ps(id)).find(sleeper) == std::string::npos; }, std::chrono::seconds(20));
    EXPECT_THAT(ps, ::testing::Not(HasSubstr(sleeper))) << "tty " << tty;
  }
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);
  // Each relay removes its FIFO directory once the exec is deleted.
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
