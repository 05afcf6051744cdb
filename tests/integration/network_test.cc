// Pod networking through real CNI plugins (Debian's containernetworking-plugins in
// /usr/lib/cni): a test bridge `cloisontest0` on 10.231.0.0/24 that the test creates with the
// host's address 10.231.0.1 (so the bridge plugin runs with isGateway false and never turns
// on the host's ip_forward), host-local IPAM with its dataDir in the test's temp dir, and
// portmap for hostPorts. Root only. The bridge and the portmap chains the test created are
// removed at the end.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "nlohmann/json.hpp"
#include "pod_fixture.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kBridge[] = "cloisontest0";
constexpr char kSubnetPrefix[] = "10.231.0.";
constexpr int kHostPort = 38231;

// Runs `command` in a shell on the host; its stdout.
std::string HostShell(const std::string& command) {
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
    pclose(pipe);
  }
  return output;
}

// GET / on 127.0.0.1:port; "" when nothing answers.
std::string HttpGetLocalhost(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return response;
}

class Network : public PodFixture {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, bridges, iptables)";
    if (access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "needs containernetworking-plugins";
    hostport_chains_existed_ = std::system("iptables -t nat -S CNI-HOSTPORT-DNAT >/dev/null 2>&1") == 0;
    std::system(("ip link del " + std::string(kBridge) + " 2>/dev/null").c_str());
    ASSERT_EQ(std::system(("ip link add " + std::string(kBridge) + " type bridge && ip addr add " + kSubnetPrefix +
                           "1/24 dev " + kBridge + " && ip link set " + kBridge + " up")
                              .c_str()),
              0);
    // A plugin that refuses ADD, found through a drop-in that puts its directory first.
    const std::string failing = daemon_.dir().Write("plugins/cloison-test-fail", R"(#!/bin/sh
cat >/dev/null
if [ "$CNI_COMMAND" = ADD ]; then
  echo '{"cniVersion": "1.0.0", "code": 7, "msg": "cloison-test-fail refuses ADD"}'
  exit 1
fi
)");
    chmod(failing.c_str(), 0755);
    daemon_.dir().Write("conf.d/50-plugins.toml", "[network]\ncni_plugin_dirs = [\"" +
                                                      (daemon_.dir().path() / "plugins").string() +
                                                      "\", \"/usr/lib/cni\"]\n");
    WriteNetwork(R"({"type": "portmap", "capabilities": {"portMappings": true}})");
    PodFixture::SetUp();
  }

  void TearDown() override {
    if (client_ && daemon_.pid() > 0 && Answers()) {
      PodFixture::TearDown();  // removes the pods, expects no mount left
      EXPECT_THAT(Reservations(), IsEmpty());
    }
    // Whatever a failed test (or a daemon that no longer answers) left: the pinned namespaces
    // and /dev/shm mounts go, which also destroys the pods' network namespaces and veths.
    if (daemon_.pid() > 0) kill(daemon_.pid(), SIGKILL);
    daemon_.Exited(std::chrono::seconds(5));
    std::vector<std::string> mounts = MountsUnder(daemon_.dir().path().string());
    for (auto mount = mounts.rbegin(); mount != mounts.rend(); ++mount) umount2(mount->c_str(), MNT_DETACH);
    std::system(("ip link del " + std::string(kBridge) + " 2>/dev/null").c_str());
    if (!hostport_chains_existed_) {
      // portmap's shared chains and the jumps to them; the per-pod ones went with CNI DEL.
      std::system(
          "for c in PREROUTING OUTPUT POSTROUTING; do iptables -t nat -S $c 2>/dev/null | grep CNI-HOSTPORT | "
          "sed 's/^-A/-D/' | xargs -r -L1 iptables -t nat; done; "
          "for c in CNI-HOSTPORT-DNAT CNI-HOSTPORT-SNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do "
          "iptables -t nat -F $c 2>/dev/null; iptables -t nat -X $c 2>/dev/null; done; true");
    }
  }

  // Whether cloisond answers a CRI call within 10 s (the CriClient calls have no deadline).
  bool Answers() const {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::VersionRequest request;
    v1::VersionResponse response;
    const grpc::Status status = daemon_.Runtime()->Version(&context, request, &response);
    EXPECT_TRUE(status.ok()) << "cloisond does not answer: " << status.error_message() << daemon_.Log();
    return status.ok();
  }

  // The test network: the bridge with host-local IPAM, then `second` (a plugin object).
  void WriteNetwork(const std::string& second) {
    daemon_.dir().Write("cni/10-test.conflist", R"({
  "cniVersion": "1.0.0", "name": "cloisontest",
  "plugins": [
    {"type": "bridge", "bridge": ")" + std::string(kBridge) + R"(", "isGateway": false, "ipMasq": false,
     "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": ")" + IpamDir() + R"(",
              "ranges": [[{"subnet": "10.231.0.0/24", "gateway": "10.231.0.1"}]]}},
    )" + second + R"(
  ]
})");
  }

  // A network of the bridge with host-local IPAM given `ipam_ranges` (a "ranges" member, or
  // nothing), the bridge declaring `bridge_capabilities`, then `second`.
  void WriteNetworkWith(const std::string& ipam_ranges, const std::string& bridge_capabilities,
                        const std::string& second) {
    daemon_.dir().Write("cni/10-test.conflist", R"({
  "cniVersion": "1.0.0", "name": "cloisontest",
  "plugins": [
    {"type": "bridge", "bridge": ")" + std::string(kBridge) + R"(", "isGateway": false, "ipMasq": false,
     "capabilities": {)" + bridge_capabilities + R"(},
     "ipam": {"type": "host-local", "dataDir": ")" + IpamDir() + R"(" )" + ipam_ranges + R"(}},
    )" + second + R"(
  ]
})");
  }

  // Restarts cloisond (SIGTERM) so that it reads a changed configuration.
  void Restart() {
    kill(daemon_.pid(), SIGTERM);
    ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(30)).exited);
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    client_ = std::make_unique<CriClient>(daemon_);
  }

  std::string IpamDir() const { return (daemon_.dir().path() / "ipam").string(); }

  // host-local's reservations: one file per IP in <dataDir>/<network name>.
  std::vector<std::string> Reservations() const {
    std::vector<std::string> ips;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(IpamDir() + "/cloisontest", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(kSubnetPrefix, 0) == 0) ips.push_back(name);
    }
    return ips;
  }

  static std::string VethsOnBridge() { return HostShell(std::string("ip -o link show master ") + kBridge + " 2>&1"); }

  std::string RunPod(const std::string& name, std::string* ip, int host_port = 0) {
    v1::PodSandboxConfig config = PodConfig(name, log_dir_);
    if (host_port != 0) {
      v1::PortMapping* port = config.add_port_mappings();
      port->set_container_port(8080);
      port->set_host_port(host_port);
    }
    configs_[name] = config;
    std::string id;
    const grpc::Status status = client_->RunPod(config, &id);
    EXPECT_TRUE(status.ok()) << status.error_message() << daemon_.Log();
    v1::PodSandboxStatusResponse response;
    EXPECT_TRUE(client_->PodStatus(id, &response).ok());
    *ip = response.status().network().ip();
    return id;
  }

  std::string StartContainer(const std::string& pod_id, const std::string& pod_name,
                             const std::vector<std::string>& command) {
    return RunContainer({pod_id, configs_[pod_name]}, pod_name + "-c", command);
  }

  std::map<std::string, v1::PodSandboxConfig> configs_;
  bool hostport_chains_existed_ = true;
};

TEST_F(Network, TwoPodsGetDistinctIpsReachEachOtherAndTheHostPort) {
  std::string server_ip, client_ip;
  const std::string server = RunPod("server", &server_ip, kHostPort);
  const std::string client = RunPod("client", &client_ip);
  EXPECT_THAT(server_ip, ::testing::StartsWith(kSubnetPrefix));
  EXPECT_THAT(client_ip, ::testing::StartsWith(kSubnetPrefix));
  EXPECT_NE(server_ip, client_ip);
  EXPECT_THAT(Reservations(), ::testing::UnorderedElementsAre(server_ip, client_ip));

  const std::string httpd = StartContainer(
      server, "server",
      {"/bin/busybox", "sh", "-c",
       "mkdir -p /tmp/www && echo hello-from-server > /tmp/www/index.html && "
       "exec /bin/busybox httpd -f -p 8080 -h /tmp/www"});
  const std::string shell = StartContainer(client, "client", {"/bin/busybox", "sleep", "1000"});

  v1::ExecSyncResponse hosts;
  ASSERT_TRUE(client_->Exec(httpd, {"/bin/busybox", "cat", "/etc/hosts"}, 10, &hosts).ok());
  EXPECT_THAT(hosts.stdout(), HasSubstr(server_ip + "\tserver\n"));

  // Pod to pod across the bridge.
  v1::ExecSyncResponse fetched;
  for (int i = 0; i < 50 && fetched.stdout().find("hello") == std::string::npos; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(client_->Exec(shell, {"/bin/busybox", "wget", "-O", "-", "http://" + server_ip + ":8080/"}, 10, &fetched).ok());
  }
  EXPECT_EQ(fetched.stdout(), "hello-from-server\n") << fetched.stderr();

  // The host reaches the server's hostPort on 127.0.0.1 (portmap DNAT + route_localnet).
  EXPECT_THAT(HttpGetLocalhost(kHostPort), HasSubstr("hello-from-server"));

  // StopPodSandbox gives the IP back at once; the status no longer shows it.
  ASSERT_TRUE(client_->StopPod(server).ok()) << daemon_.Log();
  EXPECT_THAT(Reservations(), ::testing::ElementsAre(client_ip));
  v1::PodSandboxStatusResponse stopped;
  ASSERT_TRUE(client_->PodStatus(server, &stopped).ok());
  EXPECT_EQ(stopped.status().network().ip(), "");
  EXPECT_THAT(HostShell("iptables -t nat -S 2>&1"), ::testing::Not(HasSubstr(std::to_string(kHostPort))));
  ASSERT_TRUE(client_->StopPod(server).ok());  // DEL is idempotent
  ASSERT_TRUE(client_->RemovePod(server).ok());
}

TEST_F(Network, MissingPluginFailsRunPodSandboxLeavingNothing) {
  WriteNetwork(R"({"type": "cloison-no-such-plugin"})");
  std::string id;
  const grpc::Status status = client_->RunPod(PodConfig("broken", "/tmp"), &id);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("CNI plugin \"cloison-no-such-plugin\" not found"));
  EXPECT_THAT(client_->ListPods(), IsEmpty());
  EXPECT_THAT(MountsUnder(daemon_.dir().path().string()), IsEmpty());
  EXPECT_EQ(VethsOnBridge(), "");
  EXPECT_THAT(Reservations(), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(daemon_.dir().path() / "root/cni" / (id + ".json")));
}

TEST_F(Network, FailingPluginFailsRunPodSandboxWithItsMessageLeavingNothing) {
  WriteNetwork(R"({"type": "cloison-test-fail"})");
  std::string id;
  const grpc::Status status = client_->RunPod(PodConfig("refused", "/tmp"), &id);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("setting up the pod network"));
  EXPECT_THAT(status.error_message(), HasSubstr("cloison-test-fail refuses ADD"));
  EXPECT_THAT(client_->ListPods(), IsEmpty());
  EXPECT_THAT(MountsUnder(daemon_.dir().path().string()), IsEmpty());
  EXPECT_EQ(VethsOnBridge(), "");
  EXPECT_THAT(Reservations(), IsEmpty());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(daemon_.dir().path() / "root/cni", ec));
}

// Restarts right after the SIGKILL: CloisondProcess::Start() must not take the killed
// daemon's connection, still READY in the old client, for the new daemon serving.
TEST_F(Network, StopAfterARestartReleasesTheIp) {
  std::string ip;
  const std::string pod = RunPod("survivor", &ip);
  ASSERT_THAT(Reservations(), ::testing::ElementsAre(ip));
  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  // The node's configuration changes meanwhile: DEL still uses what ADD was given.
  WriteNetwork(R"({"type": "cloison-test-fail"})");
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);

  v1::PodSandboxStatusResponse status;
  const grpc::Status answered = client_->PodStatus(pod, &status);
  ASSERT_TRUE(answered.ok()) << answered.error_message() << daemon_.Log();
  EXPECT_EQ(status.status().network().ip(), ip);
  ASSERT_TRUE(client_->StopPod(pod).ok()) << daemon_.Log();
  EXPECT_THAT(Reservations(), IsEmpty());
  EXPECT_EQ(VethsOnBridge(), "");
  ASSERT_TRUE(client_->RemovePod(pod).ok());
}

// A crash in RunPodSandbox after it made the pod's cgroup, namespace pins, CNI attachment and
// /dev/shm, its marker naming none of them but the cgroups (the marker names those before they
// are made): the restart releases all of it.
TEST_F(Network, ACrashInRunPodSandboxLeaksNoMountNetnsIpOrCgroup) {
  const std::string cgroup_root = "/cloison-it-" + std::to_string(getpid());
  const std::string parent = cgroup_root + "/interrupted";
  struct RemoveCgroups {  // what a failed test leaves
    std::string parent, root;
    ~RemoveCgroups() {
      std::error_code ec;
      for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
        rmdir((hierarchy.path().string() + parent).c_str());
        rmdir((hierarchy.path().string() + root).c_str());
      }
    }
  } remove_cgroups{parent, cgroup_root};
  v1::PodSandboxConfig config = PodConfig("interrupted", log_dir_);
  config.mutable_linux()->set_cgroup_parent(parent);
  std::string id;
  ASSERT_TRUE(client_->RunPod(config, &id).ok()) << daemon_.Log();
  v1::PodSandboxStatusResponse status;
  ASSERT_TRUE(client_->PodStatus(id, &status).ok());
  const std::string ip = status.status().network().ip();
  ASSERT_THAT(Reservations(), ::testing::ElementsAre(ip));
  const std::string pod_dir = (daemon_.dir().path() / "state/sandboxes" / id).string();
  ASSERT_THAT(MountsUnder(pod_dir), ::testing::SizeIs(4));  // net, ipc, uts, shm
  const std::string memory_cgroup = "/sys/fs/cgroup/memory" + parent;
  ASSERT_TRUE(std::filesystem::is_directory(memory_cgroup));
  ASSERT_NE(VethsOnBridge(), "");

  kill(daemon_.pid(), SIGKILL);
  ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
  RewriteRecord("sandboxes", id, [](nlohmann::json& record) {
    record["state"] = "creating";
    for (const char* field : {"netns", "ipcns", "utsns", "shm", "hostnameFile", "hostsFile", "resolvFile"}) {
      record[field] = "";
    }
    record["podIps"] = nlohmann::json::array();
  });
  ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
  client_ = std::make_unique<CriClient>(daemon_);

  EXPECT_THAT(client_->ListPods(), IsEmpty());
  EXPECT_THAT(MountsUnder(pod_dir), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(pod_dir));
  EXPECT_THAT(Reservations(), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(daemon_.dir().path() / "root/cni" / (id + ".json")));
  EXPECT_EQ(VethsOnBridge(), "");  // the pod's network namespace is gone with its veth
  EXPECT_FALSE(std::filesystem::exists(memory_cgroup));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory" + cgroup_root));
}

TEST_F(Network, PodCidrFromUpdateRuntimeConfigBecomesTheIpRange) {
  // host-local with no range of its own: the pod's address can only come from ipRanges.
  WriteNetworkWith("", R"("ipRanges": true)", R"({"type": "portmap", "capabilities": {"portMappings": true}})");
  grpc::ClientContext context;
  v1::UpdateRuntimeConfigRequest request;
  request.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.231.0.128/25");
  v1::UpdateRuntimeConfigResponse response;
  ASSERT_TRUE(daemon_.Runtime()->UpdateRuntimeConfig(&context, request, &response).ok()) << daemon_.Log();

  std::string ip;
  RunPod("ranged", &ip);
  ASSERT_THAT(ip, ::testing::StartsWith(kSubnetPrefix));
  EXPECT_GE(std::stoi(ip.substr(std::string(kSubnetPrefix).size())), 128) << ip;
  EXPECT_THAT(Reservations(), ::testing::ElementsAre(ip));

  grpc::ClientContext bad_context;
  request.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.231.0.0/33");
  const grpc::Status bad = daemon_.Runtime()->UpdateRuntimeConfig(&bad_context, request, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("runtime_config.network_config.pod_cidr"));
}

TEST_F(Network, BandwidthAnnotationsShapeTheHostVeth) {
  WriteNetwork(R"({"type": "bandwidth", "capabilities": {"bandwidth": true}})");
  v1::PodSandboxConfig config = PodConfig("shaped", "/tmp");
  (*config.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "2M";
  std::string id;
  ASSERT_TRUE(client_->RunPod(config, &id).ok()) << daemon_.Log();
  const std::string veths = VethsOnBridge();
  ASSERT_NE(veths, "");
  // "<index>: <name>@<peer>: ..." : the host side of the pod's veth.
  const std::string veth = veths.substr(veths.find(": ") + 2, veths.find('@') - veths.find(": ") - 2);
  const std::string qdiscs = HostShell("tc qdisc show dev " + veth + " 2>&1");
  EXPECT_THAT(qdiscs, HasSubstr("tbf")) << qdiscs;
  EXPECT_THAT(qdiscs, HasSubstr("rate 2Mbit")) << qdiscs;

  config = PodConfig("unshaped", "/tmp");
  (*config.mutable_annotations())["kubernetes.io/egress-bandwidth"] = "2 lanes";
  const grpc::Status bad = client_->RunPod(config, &id);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("kubernetes.io/egress-bandwidth"));
}

TEST_F(Network, HangingPluginFailsRunPodSandboxAtTheTimeoutLeavingNothing) {
  const std::string hanging = daemon_.dir().Write("plugins/cloison-test-hang", R"(#!/bin/sh
cat >/dev/null
if [ "$CNI_COMMAND" = ADD ]; then exec sleep 7213; fi
)");
  chmod(hanging.c_str(), 0755);
  daemon_.dir().Write("conf.d/60-timeout.toml", "[network]\nplugin_timeout = 2\n");
  WriteNetwork(R"({"type": "cloison-test-hang"})");
  Restart();

  std::string id;
  const grpc::Status status = client_->RunPod(PodConfig("stuck", "/tmp"), &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("CNI plugin cloison-test-hang ADD"));
  EXPECT_THAT(status.error_message(), HasSubstr("did not finish within 2000 ms"));
  EXPECT_THAT(client_->ListPods(), IsEmpty());
  EXPECT_THAT(MountsUnder(daemon_.dir().path().string()), IsEmpty());
  EXPECT_EQ(VethsOnBridge(), "");
  EXPECT_THAT(Reservations(), IsEmpty());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(daemon_.dir().path() / "root/cni", ec));
  EXPECT_EQ(HostShell("pgrep -x -f 'sleep 7213'"), "");
}

TEST_F(Network, VerboseStatusRunsCniCheck) {
  std::string ip;
  const std::string pod = RunPod("checked", &ip);
  auto check = [&] {
    v1::PodSandboxStatusResponse response;
    EXPECT_TRUE(client_->PodStatus(pod, &response, true).ok());
    return nlohmann::json::parse(response.info().at("info")).value("cniCheck", "(none)");
  };
  EXPECT_EQ(check(), "ok") << daemon_.Log();
  // The pod's interface disappears behind the runtime's back: CHECK notices.
  const std::string veths = VethsOnBridge();
  const std::string veth = veths.substr(veths.find(": ") + 2, veths.find('@') - veths.find(": ") - 2);
  ASSERT_EQ(std::system(("ip link del " + veth).c_str()), 0);
  EXPECT_THAT(check(), HasSubstr("CNI plugin bridge CHECK failed"));
  ASSERT_TRUE(client_->StopPod(pod).ok()) << daemon_.Log();
  EXPECT_THAT(Reservations(), IsEmpty());
  EXPECT_EQ(check(), "ok");  // no network left to check
}

TEST_F(Network, HostNetworkPodsGetTheNodesHostnameAndHostsFile) {
  v1::PodSandboxConfig config = PodConfig("hostnet", log_dir_);
  config.clear_hostname();  // kubelet sends none for host-network pods
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NamespaceMode::NODE);
  configs_["hostnet"] = config;
  std::string id;
  ASSERT_TRUE(client_->RunPod(config, &id).ok()) << daemon_.Log();
  const std::string shell = StartContainer(id, "hostnet", {"/bin/busybox", "sleep", "1000"});
  char node[256] = {};
  gethostname(node, sizeof(node) - 1);
  v1::ExecSyncResponse out;
  ASSERT_TRUE(client_->Exec(shell, {"/bin/busybox", "cat", "/etc/hostname", "/etc/hosts"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), std::string(node) + "\n" + ReadText("/etc/hosts")) << out.stderr();
  ASSERT_TRUE(client_->Exec(shell, {"/bin/busybox", "hostname"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), std::string(node) + "\n");
}

TEST_F(Network, HostNetworkPodsSkipCni) {
  v1::PodSandboxConfig config = PodConfig("hostnet", "/tmp");
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NamespaceMode::NODE);
  std::string id;
  ASSERT_TRUE(client_->RunPod(config, &id).ok()) << daemon_.Log();
  v1::PodSandboxStatusResponse status;
  ASSERT_TRUE(client_->PodStatus(id, &status).ok());
  EXPECT_EQ(status.status().network().ip(), "");
  EXPECT_THAT(Reservations(), IsEmpty());
  EXPECT_EQ(VethsOnBridge(), "");
}

}  // namespace
}  // namespace cloison::testing
