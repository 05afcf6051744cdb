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

class VmStreaming : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kShim, X_OK) != 0) GTEST_SKIP() << kShim << " is not installed";
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
    if (daemon_.pid() <= 0) return;
    for (const v1::PodSandbox& pod : client_->ListPods()) {
      EXPECT_TRUE(client_->StopPod(pod.id()).ok());
      EXPECT_TRUE(client_->RemovePod(pod.id()).ok());
    }
  }

  // A pod of the vm handler with one running container.
  std::string RunContainer(const std::string& name, const std::vector<std::string>& command = kSleeper) {
    const v1::PodSandboxConfig pod_config = PodConfig(name, (daemon_.dir().path() / "logs").string());
    std::string pod_id;
    grpc::Status status = client_->RunPod(pod_config, &pod_id, "runc-shim");
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    std::string id;
    status = client_->Create(pod_id, ContainerConfig(name + "-c", image_, command), pod_config, &id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    status = client_->Start(id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    return id;
  }

  std::string ExecUrl(const std::string& id, const std::vector<std::string>& cmd, bool tty, bool in, bool err) {
    grpc::ClientContext context;
    v1::ExecRequest request;
    request.set_container_id(id);
    for (const std::string& arg : cmd) request.add_cmd(arg);
    request.set_tty(tty);
    request.set_stdin(in);
    request.set_stdout(true);
    request.set_stderr(err);
    v1::ExecResponse response;
    const grpc::Status status = runtime_->Exec(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.url();
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

  std::string Ps(const std::string& id) {
    v1::ExecSyncResponse response;
    EXPECT_TRUE(client_->Exec(id, {"/bin/busybox", "ps", "-o", "args"}, 10, &response).ok());
    return response.stdout();
  }

  std::unique_ptr<LocalRegistry> registry_;
  std::string image_;
  CloisondProcess daemon_{kConfig};
  std::unique_ptr<CriClient> client_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
};

TEST_F(VmStreaming, SpdyExecEchoesStdinAndReportsTheExitCode) {
  const std::string id = RunContainer("vmcat");
  SpdyClient client;
  ASSERT_EQ(client.Open(ExecUrl(id, {"/bin/busybox", "sh", "-c", "/bin/busybox cat; echo err >&2; exit 3"}, false,
                                true, true),
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
  ws.Drop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);  // detaching stops nothing
}

TEST_F(VmStreaming, WebSocketTtyResizeReachesStty) {
  const std::string id = RunContainer("vmtty");
  WsClient ws;
  ASSERT_EQ(ws.Open(ExecUrl(id, {"/bin/busybox", "sh", "-c", "read line; /bin/busybox stty size"}, true, true, false),
                    "v4.channel.k8s.io"),
            101);
  ws.Send(4, R"({"Width":123,"Height":45})");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ws.Send(0, "go\r");
  std::map<int, std::string> channels = ws.ReadAll();
  EXPECT_THAT(channels[1], HasSubstr("45 123"));
  EXPECT_EQ(ExitCodeOf(channels[3]), 0) << daemon_.Log();
}

TEST_F(VmStreaming, ClientGoneLeavesNoExecProcess) {
  const std::string id = RunContainer("vmgone");
  for (const bool tty : {false, true}) {
    const std::string sleeper = tty ? "sleep 778" : "sleep 777";
    {
      WsClient ws;
      ASSERT_EQ(ws.Open(ExecUrl(id, {"/bin/busybox", "sleep", sleeper.substr(6)}, tty, tty, false),
                        "v4.channel.k8s.io"),
                101);
      for (int i = 0; i < 50 && Ps(id).find(sleeper) == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ASSERT_THAT(Ps(id), HasSubstr(sleeper));
      ws.Drop();
    }
    std::string ps = Ps(id);
    for (int i = 0; i < 100 && ps.find(sleeper) != std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ps = Ps(id);
    }
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
  for (int i = 0; i < 50 && exec_dirs() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(exec_dirs(), 0);
}

}  // namespace
}  // namespace cloison::testing
