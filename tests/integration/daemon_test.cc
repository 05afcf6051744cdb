// Integration tests of the cloisond binary: real process, real unix socket, generated client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "cloisond_process.h"
#include "host_probes.h"
#include "nlohmann/json.hpp"

namespace cloison::testing {
namespace {

namespace v1 = ::runtime::v1;
using ::testing::HasSubstr;

const v1::RuntimeCondition* FindCondition(const v1::StatusResponse& response, const std::string& type) {
  for (const v1::RuntimeCondition& condition : response.status().conditions()) {
    if (condition.type() == type) return &condition;
  }
  return nullptr;
}

std::vector<std::string> HandlerNames(const v1::StatusResponse& response) {
  std::vector<std::string> names;
  for (const v1::RuntimeHandler& handler : response.runtime_handlers()) names.push_back(handler.name());
  return names;
}

v1::StatusResponse GetStatus(CloisondProcess& daemon, bool verbose) {
  grpc::ClientContext context;
  v1::StatusRequest request;
  request.set_verbose(verbose);
  v1::StatusResponse response;
  const grpc::Status status = daemon.Runtime()->Status(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

TEST(Cloisond, VersionNamesCloisonAndApiV1) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  grpc::ClientContext context;
  v1::VersionResponse response;
  ASSERT_TRUE(daemon.Runtime()->Version(&context, v1::VersionRequest(), &response).ok());
  EXPECT_EQ(response.runtime_name(), "cloison");
  EXPECT_EQ(response.runtime_api_version(), "v1");
  EXPECT_EQ(response.version(), "0.1.0");
  EXPECT_EQ(response.runtime_version(), CLOISON_VERSION);
}

TEST(Cloisond, SocketIsMode0660InA0711Directory) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  struct stat st{};
  ASSERT_EQ(stat(daemon.socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  ASSERT_EQ(stat((daemon.dir().path() / "run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
}

TEST(Cloisond, StatusReportsConditionsHandlersAndVerboseConfig) {
  CloisondProcess daemon;
  daemon.dir().Write("conf.d/50-ghost.toml", "[runtimes.ghost]\nruntime_path = \"/nonexistent/ghost\"\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();

  v1::StatusResponse status = GetStatus(daemon, /*verbose=*/true);
  const v1::RuntimeCondition* runtime_ready = FindCondition(status, "RuntimeReady");
  ASSERT_NE(runtime_ready, nullptr);
  EXPECT_TRUE(runtime_ready->status()) << runtime_ready->message();
  const v1::RuntimeCondition* network_ready = FindCondition(status, "NetworkReady");
  ASSERT_NE(network_ready, nullptr);
  EXPECT_FALSE(network_ready->status());
  EXPECT_EQ(network_ready->reason(), "NetworkPluginNotReady");
  EXPECT_THAT(network_ready->message(), HasSubstr((daemon.dir().path() / "cni").string()));

  // runc and runsc are installed; the ghost handler is not offered to kubelet.
  EXPECT_THAT(HandlerNames(status), ::testing::UnorderedElementsAre("runc", "", "runsc"));

  ASSERT_TRUE(status.info().contains("config"));
  const nlohmann::json config = nlohmann::json::parse(status.info().at("config"));
  EXPECT_EQ(config["listen"], daemon.socket_path());
  EXPECT_EQ(config["default_runtime"], "runc");
  EXPECT_EQ(config["runtimes"]["ghost"]["runtime_path"], "/nonexistent/ghost");
  const nlohmann::json handlers = nlohmann::json::parse(status.info().at("runtimeHandlers"));
  EXPECT_EQ(handlers["ghost"]["available"], false);
  EXPECT_EQ(handlers["runc"]["available"], true);
  EXPECT_THAT(daemon.Log(), HasSubstr("runtime handler ghost is unavailable"));

  status = GetStatus(daemon, /*verbose=*/false);
  EXPECT_FALSE(status.info().contains("config"));
}

// NetworkReady is true only for a configuration new pods could use, looked at on every call.
TEST(Cloisond, NetworkReadyNeedsAConfigurationThatParsesAndPluginsThatExist) {
  CloisondProcess daemon;
  const std::string plugins = (daemon.dir().path() / "plugins").string();
  daemon.dir().Write("conf.d/50-plugins.toml", "[network]\ncni_plugin_dirs = [\"" + plugins + "\"]\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  auto network_ready = [&daemon]() {
    const v1::StatusResponse status = GetStatus(daemon, /*verbose=*/false);
    const v1::RuntimeCondition* condition = FindCondition(status, "NetworkReady");
    return condition != nullptr ? *condition : v1::RuntimeCondition();
  };
  EXPECT_FALSE(network_ready().status());

  const std::string path = daemon.dir().Write("cni/10-net.conflist", R"({"cniVersion": "1.0.0", "name": "n",)");
  v1::RuntimeCondition condition = network_ready();
  EXPECT_FALSE(condition.status());
  EXPECT_EQ(condition.reason(), "NetworkPluginNotReady");
  EXPECT_THAT(condition.message(), HasSubstr(path + ": not a JSON object"));

  daemon.dir().Write("cni/10-net.conflist",
                     R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "cloison-test-net"}]})");
  condition = network_ready();
  EXPECT_FALSE(condition.status());
  EXPECT_EQ(condition.reason(), "NetworkPluginNotReady");
  EXPECT_THAT(condition.message(), HasSubstr(path + ": CNI plugin \"cloison-test-net\" not found"));
  EXPECT_THAT(condition.message(), HasSubstr(plugins));

  // The plugin installed: ready, without a restart.
  const std::string plugin = daemon.dir().Write("plugins/cloison-test-net", "#!/bin/sh\nexit 0\n");
  ASSERT_EQ(chmod(plugin.c_str(), 0755), 0);
  condition = network_ready();
  EXPECT_TRUE(condition.status()) << condition.message();
  EXPECT_EQ(condition.reason(), "");
}

TEST(Cloisond, MissingDefaultHandlerMakesRuntimeNotReady) {
  CloisondProcess daemon("[runtimes.runc]\nruntime_path = \"/nonexistent/runc\"\n");
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const v1::StatusResponse status = GetStatus(daemon, false);
  const v1::RuntimeCondition* runtime_ready = FindCondition(status, "RuntimeReady");
  ASSERT_NE(runtime_ready, nullptr);
  EXPECT_FALSE(runtime_ready->status());
  EXPECT_THAT(runtime_ready->message(), HasSubstr("\"runc\""));
  EXPECT_THAT(HandlerNames(status), ::testing::UnorderedElementsAre("runsc"));
}

TEST(Cloisond, RuntimeConfigReportsTheCgroupDriver) {
  for (const auto& [driver, expected] :
       {std::pair{"cgroupfs", v1::CgroupDriver::CGROUPFS}, std::pair{"systemd", v1::CgroupDriver::SYSTEMD}}) {
    CloisondProcess daemon(std::string("cgroup_driver = \"") + driver + "\"\n");
    ASSERT_TRUE(daemon.Start()) << daemon.Log();
    grpc::ClientContext context;
    v1::RuntimeConfigResponse response;
    ASSERT_TRUE(daemon.Runtime()->RuntimeConfig(&context, v1::RuntimeConfigRequest(), &response).ok());
    EXPECT_EQ(response.linux().cgroup_driver(), expected) << driver;
  }
}

TEST(Cloisond, CallsAreLoggedAndUnimplementedOnesNameThemselves) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  {
    grpc::ClientContext context;
    v1::CheckpointContainerResponse response;
    const grpc::Status status =
        daemon.Runtime()->CheckpointContainer(&context, v1::CheckpointContainerRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(status.error_message(), HasSubstr("CheckpointContainer"));
  }
  {
    // A server-streaming RPC goes through the same interceptor (StreamImages of an empty
    // store ends OK without a message).
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::StreamImagesResponse>> reader =
        daemon.Images()->StreamImages(&context, v1::StreamImagesRequest());
    v1::StreamImagesResponse response;
    int messages = 0;
    while (reader->Read(&response)) ++messages;
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(messages, 0);
  }
  // At debug level every call is logged with method, outcome and duration.
  EXPECT_THAT(daemon.Log(), HasSubstr("rpc /runtime.v1.RuntimeService/CheckpointContainer failed in"));
  EXPECT_THAT(daemon.Log(), HasSubstr("rpc /runtime.v1.ImageService/StreamImages ok in"));
}

// The lists answer with wire bytes on gRPC's sync threads (wire_unary.h): an empty store's
// lists parse as empty answers, and the daemon runs none of the polling threads gRPC 1.51
// starts for callback methods ("nexting_thread"), which would put every call through more
// thread hand-offs.
TEST(Cloisond, ListsAnswerOnTheSyncThreadsWithoutCallbackPollers) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  {
    grpc::ClientContext context;
    v1::ListContainersResponse response;
    const grpc::Status status = daemon.Runtime()->ListContainers(&context, v1::ListContainersRequest(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.containers_size(), 0);
  }
  {
    grpc::ClientContext context;
    v1::ListPodSandboxRequest request;
    request.mutable_filter()->set_id("absent");
    v1::ListPodSandboxResponse response;
    const grpc::Status status = daemon.Runtime()->ListPodSandbox(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.items_size(), 0);
  }
  const std::string tasks = "/proc/" + std::to_string(daemon.pid()) + "/task";
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator(tasks)) names.push_back(ProcessName(task.path()));
  EXPECT_THAT(names, ::testing::Not(::testing::IsEmpty()));
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("nexting_thread")));
}

TEST(Cloisond, SecondInstanceOnTheSameSocketIsRefused) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const std::string second_log = (daemon.dir().path() / "second.log").string();
  const auto [code, output] = CloisondProcess::RunToCompletion(daemon.Args(), second_log);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("another instance is already serving on " + daemon.socket_path()));
  // The first instance still serves.
  grpc::ClientContext context;
  v1::VersionResponse response;
  EXPECT_TRUE(daemon.Runtime()->Version(&context, v1::VersionRequest(), &response).ok());
}

TEST(Cloisond, StaleSocketFileIsReplaced) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  // SIGKILL leaves the socket file behind, as a crash would.
  kill(daemon.pid(), SIGKILL);
  ASSERT_TRUE(daemon.Exited(std::chrono::seconds(5)).exited);
  ASSERT_EQ(access(daemon.socket_path().c_str(), F_OK), 0);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
}

TEST(Cloisond, SigtermExitsZeroWithinFiveSeconds) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  const auto start = std::chrono::steady_clock::now();
  kill(daemon.pid(), SIGTERM);
  const ExitResult result = daemon.Exited(std::chrono::seconds(5));
  ASSERT_TRUE(result.exited) << "still running 5 s after SIGTERM";
  EXPECT_EQ(result.code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(access(daemon.socket_path().c_str(), F_OK), 0);
}

TEST(Cloisond, SighupReloadsHandlersAndLogLevel) {
  CloisondProcess daemon;
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  EXPECT_THAT(HandlerNames(GetStatus(daemon, false)), ::testing::Not(::testing::Contains("crun-like")));
  daemon.dir().Write("conf.d/60-extra.toml", "[runtimes.crun-like]\nruntime_path = \"sh\"\n");
  kill(daemon.pid(), SIGHUP);
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::vector<std::string> names = HandlerNames(GetStatus(daemon, false));
    seen = std::find(names.begin(), names.end(), "crun-like") != names.end();
  }
  EXPECT_TRUE(seen) << daemon.Log();
  EXPECT_THAT(daemon.Log(), HasSubstr("SIGHUP: reloaded runtime handlers"));

  // A broken drop-in is reported and the running configuration stays.
  daemon.dir().Write("conf.d/70-broken.toml", "[runtimes.x]\nruntime_type = 3\n");
  kill(daemon.pid(), SIGHUP);
  for (int i = 0; i < 100 && daemon.Log().find("not reloaded") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(daemon.Log(), HasSubstr("70-broken.toml:2: runtimes.x.runtime_type"));
  const std::vector<std::string> names = HandlerNames(GetStatus(daemon, false));
  EXPECT_NE(std::find(names.begin(), names.end(), "crun-like"), names.end());
}

TEST(Cloisond, BadConfigStopsTheStartWithFileAndLine) {
  CloisondProcess daemon;
  const std::string drop_in = daemon.dir().Write("conf.d/10-bad.toml", "\n\nlog_levle = \"debug\"\n");
  const auto [code, output] = CloisondProcess::RunToCompletion(daemon.Args(), daemon.log_path());
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr(drop_in + ":3: log_levle: unknown key"));
}

TEST(Cloisond, ConfigSubcommandPrintsTheEffectiveToml) {
  CloisondProcess daemon;
  daemon.dir().Write("conf.d/10.toml", "[runtimes.kata-qemu-virtiofs]\nruntime_type = \"vm\"\n");
  const auto [code, output] =
      CloisondProcess::RunToCompletion(daemon.Args({"config"}), daemon.log_path());
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("listen = \"" + daemon.socket_path() + "\""));
  EXPECT_THAT(output, HasSubstr("log_level = \"debug\""));
  EXPECT_THAT(output, HasSubstr("[runtimes.kata-qemu-virtiofs]\nruntime_path = \"kata-qemu-virtiofs\"\nruntime_type = \"vm\""));
  EXPECT_NE(access(daemon.socket_path().c_str(), F_OK), 0);  // printing does not serve
}

TEST(Cloisond, CheckHandlersRunsAContainerOnEachHandler) {
  if (access("/usr/bin/runsc", X_OK) != 0) GTEST_SKIP() << "runsc is not installed";
  CloisondProcess daemon;
  const auto [code, output] = CloisondProcess::RunToCompletion(daemon.Args({"check-handlers"}), daemon.log_path());
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, ::testing::ContainsRegex("runc \\(default\\): oci, [^ ]*/runc: OK: ran a container "
                                               "\\(cloison-pause [^)]*\\) in [0-9]+ ms\n"));
  EXPECT_THAT(output, ::testing::ContainsRegex("runsc: oci, [^ ]*/runsc: OK: ran a container "));
  EXPECT_FALSE(std::filesystem::exists(daemon.dir().path() / "state/check-handlers"));

  // A vm handler is reported with the node's KVM state, then runs the container through its
  // shim; a missing binary, or one that is no shim, fails the check.
  const bool have_shim = access("/usr/bin/containerd-shim-runc-v2", X_OK) == 0;
  daemon.dir().Write("conf.d/10.toml", std::string("[runtimes.kata]\nruntime_path = \"/nonexistent/shim\"\nruntime_type = \"vm\"\n"
                                                   "[runtimes.shim]\nruntime_path = \"/bin/true\"\nruntime_type = \"vm\"\n") +
                                           (have_shim ? "[runtimes.runc-shim]\nruntime_path = \"containerd-shim-runc-v2\"\n"
                                                        "runtime_type = \"vm\"\n"
                                                      : ""));
  const auto [failed_code, failed] = CloisondProcess::RunToCompletion(daemon.Args({"check-handlers"}), daemon.log_path());
  EXPECT_EQ(failed_code, 1) << failed;
  EXPECT_THAT(failed, HasSubstr("kata: vm, FAILED: runtime binary not found: /nonexistent/shim"));
  EXPECT_THAT(failed, ::testing::ContainsRegex("shim: vm, /bin/true: /dev/kvm is (usable|not usable: [^;]*); FAILED: "));
  if (have_shim) {
    EXPECT_THAT(failed, ::testing::ContainsRegex("runc-shim: vm, [^ ]*/containerd-shim-runc-v2: /dev/kvm is "
                                                 "(usable|not usable: [^;]*); OK: ran a container "
                                                 "\\(cloison-pause [^)]*\\) in [0-9]+ ms\n"));
  }
  EXPECT_FALSE(std::filesystem::exists(daemon.dir().path() / "state/check-handlers"));
  EXPECT_NE(access(daemon.socket_path().c_str(), F_OK), 0);  // checking does not serve
}

TEST(Cloisond, VersionFlag) {
  TempDir dir;
  const auto [code, output] =
      CloisondProcess::RunToCompletion({CLOISOND_PATH, "--version"}, (dir.path() / "out").string());
  EXPECT_EQ(code, 0);
  EXPECT_THAT(output, HasSubstr(std::string("cloisond version ") + CLOISON_VERSION));
}

}  // namespace
}  // namespace cloison::testing
