// NetworkManager against fake CNI plugins (a python3 script) that log every call.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cloison/network/network_manager.h"
#include "nlohmann/json.hpp"
#include "test_tmpdir.h"

namespace cloison::network {
namespace {

using ::testing::HasSubstr;

// ADD: prints a result with the config's "ip" on eth0, or passes prevResult on; "fail" makes
// ADD fail with that message; "sleep" delays every call. Logs {command, env, stdin} per call.
constexpr char kFakePlugin[] = R"(#!/usr/bin/python3
import json, os, sys, time
conf = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k.startswith("CNI_")}
with open(conf["log"], "a") as log:
    log.write(json.dumps({"command": env["CNI_COMMAND"], "env": env, "stdin": conf}) + "\n")
time.sleep(conf.get("sleep", 0))
if env["CNI_COMMAND"] != "ADD":
    sys.exit(0)
if "fail" in conf:
    print(json.dumps({"cniVersion": conf["cniVersion"], "code": 11, "msg": conf["fail"], "details": "on purpose"}))
    sys.exit(1)
if "ip" in conf:
    print(json.dumps({"cniVersion": conf["cniVersion"],
                      "interfaces": [{"name": env["CNI_IFNAME"], "sandbox": env["CNI_NETNS"]}],
                      "ips": [{"address": conf["ip"], "interface": 0}]}))
else:
    print(json.dumps(conf["prevResult"]))
)";

class NetworkManagerTest : public ::testing::Test {
 protected:
  NetworkManagerTest() {
    const std::string plugin = dir_.Write("bin/fake", kFakePlugin);
    chmod(plugin.c_str(), 0755);
    std::filesystem::create_directories(dir_.path() / "net.d");
    options_ = {(dir_.path() / "net.d").string(), {(dir_.path() / "empty").string(), (dir_.path() / "bin").string()},
                (dir_.path() / "cache").string(), std::chrono::seconds(20)};
    pod_.mutable_metadata()->set_name("web");
    pod_.mutable_metadata()->set_namespace_("ns");
    pod_.mutable_metadata()->set_uid("u1");
    ::runtime::v1::PortMapping* port = pod_.add_port_mappings();
    port->set_container_port(80);
    port->set_host_port(8080);
  }

  std::string Log() const { return (dir_.path() / "calls.log").string(); }

  // A conflist of fake plugins with the given extra keys.
  void WriteNetwork(const std::string& version, const std::vector<nlohmann::json>& plugins) {
    nlohmann::json list = {{"cniVersion", version}, {"name", "fakenet"}, {"plugins", nlohmann::json::array()}};
    for (nlohmann::json plugin : plugins) {
      plugin["log"] = Log();
      if (!plugin.contains("type")) plugin["type"] = "fake";
      list["plugins"].push_back(plugin);
    }
    dir_.Write("net.d/10-fake.conflist", list.dump());
  }

  std::vector<nlohmann::json> Calls() const {
    std::vector<nlohmann::json> calls;
    std::ifstream in(Log());
    for (std::string line; std::getline(in, line);) calls.push_back(nlohmann::json::parse(line));
    return calls;
  }

  bool Cached(const std::string& pod) const { return std::filesystem::exists(dir_.path() / "cache" / (pod + ".json")); }

  testing::TempDir dir_;
  NetworkManagerOptions options_;
  ::runtime::v1::PodSandboxConfig pod_;
};

TEST_F(NetworkManagerTest, AddChainsResultsAndDelRunsInReverseFromTheCache) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.2/24"}}, {{"capabilities", {{"portMappings", true}}}}});
  NetworkManager manager(options_);
  absl::StatusOr<std::vector<std::string>> ips = manager.SetUpPod("pod1", "/proc/self/ns/net", pod_);
  ASSERT_TRUE(ips.ok()) << ips.status();
  EXPECT_THAT(*ips, ::testing::ElementsAre("10.9.0.2"));
  EXPECT_TRUE(Cached("pod1"));

  std::vector<nlohmann::json> calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  const nlohmann::json& env = calls[0]["env"];
  EXPECT_EQ(env["CNI_COMMAND"], "ADD");
  EXPECT_EQ(env["CNI_CONTAINERID"], "pod1");
  EXPECT_EQ(env["CNI_NETNS"], "/proc/self/ns/net");
  EXPECT_EQ(env["CNI_IFNAME"], "eth0");
  EXPECT_EQ(env["CNI_ARGS"], "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=pod1;K8S_POD_UID=u1");
  EXPECT_EQ(env["CNI_PATH"], options_.plugin_dirs[0] + ":" + options_.plugin_dirs[1]);
  EXPECT_EQ(calls[0]["stdin"]["name"], "fakenet");
  EXPECT_FALSE(calls[0]["stdin"].contains("prevResult"));
  EXPECT_FALSE(calls[0]["stdin"].contains("runtimeConfig"));
  EXPECT_EQ(calls[1]["stdin"]["prevResult"]["ips"][0]["address"], "10.9.0.2/24");
  EXPECT_EQ(calls[1]["stdin"]["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);

  // DEL uses the cached configuration even after the node's one is gone.
  std::filesystem::remove(dir_.path() / "net.d/10-fake.conflist");
  ASSERT_TRUE(manager.TearDownPod("pod1").ok());
  calls = Calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[2]["command"], "DEL");
  EXPECT_TRUE(calls[2]["stdin"].contains("capabilities"));  // the portmap-like plugin first
  EXPECT_EQ(calls[2]["stdin"]["prevResult"]["ips"][0]["address"], "10.9.0.2/24");
  EXPECT_EQ(calls[2]["stdin"]["runtimeConfig"]["portMappings"][0]["containerPort"], 80);
  EXPECT_EQ(calls[3]["stdin"]["ip"], "10.9.0.2/24");
  EXPECT_FALSE(Cached("pod1"));

  ASSERT_TRUE(manager.TearDownPod("pod1").ok());  // idempotent: nothing left to do
  EXPECT_EQ(Calls().size(), 4u);
}

TEST_F(NetworkManagerTest, DamagedCacheFieldsStillLetDelRun) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.4/24"}}});
  NetworkManager manager(options_);
  ASSERT_TRUE(manager.SetUpPod("pod10", "/proc/self/ns/net", pod_).ok());
  // A cache record whose strings are numbers used to throw out of value() in DEL and CHECK.
  const std::filesystem::path cache = dir_.path() / "cache" / "pod10.json";
  nlohmann::json record = nlohmann::json::parse(std::ifstream(cache));
  record["netns"] = 7;
  record["ifname"] = {"eth0"};
  record["args"] = false;
  dir_.Write("cache/pod10.json", record.dump());
  EXPECT_EQ(manager.CheckPod("pod10").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(manager.TearDownPod("pod10").ok());
  const nlohmann::json del = Calls().back();
  EXPECT_EQ(del["command"], "DEL");
  EXPECT_EQ(del["env"]["CNI_NETNS"], "");
  EXPECT_EQ(del["env"]["CNI_IFNAME"], "eth0");
  EXPECT_EQ(del["env"]["CNI_ARGS"], "");
  EXPECT_FALSE(Cached("pod10"));
}

TEST_F(NetworkManagerTest, Version031DelGetsNoPrevResultAndAGoneNetnsIsEmpty) {
  WriteNetwork("0.3.1", {{{"ip", "10.9.0.3/24"}}});
  NetworkManager manager(options_);
  ASSERT_TRUE(manager.SetUpPod("pod2", "/proc/self/ns/net", pod_).ok());
  ASSERT_TRUE(manager.TearDownPod("pod2").ok());
  const std::vector<nlohmann::json> calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_FALSE(calls[1]["stdin"].contains("prevResult"));
  EXPECT_EQ(calls[1]["env"]["CNI_NETNS"], "/proc/self/ns/net");

  ASSERT_TRUE(manager.SetUpPod("pod3", (dir_.path() / "no-such-netns").string(), pod_).ok());
  ASSERT_TRUE(manager.TearDownPod("pod3").ok());
  EXPECT_EQ(Calls().back()["env"]["CNI_NETNS"], "");
}

TEST_F(NetworkManagerTest, FailingPluginGivesItsMessageAndDelUndoesTheRest) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.4/24"}}, {{"fail", "no more addresses"}}});
  NetworkManager manager(options_);
  absl::StatusOr<std::vector<std::string>> ips = manager.SetUpPod("pod4", "/proc/self/ns/net", pod_);
  ASSERT_FALSE(ips.ok());
  EXPECT_THAT(std::string(ips.status().message()),
              HasSubstr("CNI plugin fake ADD failed: no more addresses: on purpose"));
  EXPECT_TRUE(Cached("pod4"));
  ASSERT_TRUE(manager.TearDownPod("pod4").ok());
  const std::vector<nlohmann::json> calls = Calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[2]["command"], "DEL");
  EXPECT_EQ(calls[3]["command"], "DEL");
  EXPECT_FALSE(Cached("pod4"));
}

TEST_F(NetworkManagerTest, MissingPluginFailsAddAndIsSkippedOnDel) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.5/24"}}, {{"type", "not-installed"}}});
  NetworkManager manager(options_);
  absl::StatusOr<std::vector<std::string>> ips = manager.SetUpPod("pod5", "/proc/self/ns/net", pod_);
  EXPECT_TRUE(absl::IsNotFound(ips.status())) << ips.status();
  EXPECT_THAT(std::string(ips.status().message()), HasSubstr("CNI plugin \"not-installed\" not found"));
  ASSERT_TRUE(manager.TearDownPod("pod5").ok());
  EXPECT_EQ(Calls().size(), 2u);  // ADD and DEL of the installed plugin
  EXPECT_FALSE(Cached("pod5"));
}

TEST_F(NetworkManagerTest, SlowPluginIsKilledAtTheTimeout) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.6/24"}, {"sleep", 30}}});
  options_.plugin_timeout = std::chrono::milliseconds(500);
  NetworkManager manager(options_);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(absl::IsDeadlineExceeded(manager.SetUpPod("pod6", "/proc/self/ns/net", pod_).status()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(NetworkManagerTest, NoNetworkConfigMeansNoIpAndNothingCached) {
  NetworkManager manager(options_);
  absl::StatusOr<std::vector<std::string>> ips = manager.SetUpPod("pod7", "/proc/self/ns/net", pod_);
  ASSERT_TRUE(ips.ok()) << ips.status();
  EXPECT_TRUE(ips->empty());
  EXPECT_FALSE(Cached("pod7"));
  EXPECT_TRUE(manager.TearDownPod("pod7").ok());
}

TEST_F(NetworkManagerTest, CheckRunsEveryPluginInOrderWithTheCachedResult) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.9/24"}}, {{"capabilities", {{"portMappings", true}}}}});
  NetworkManager manager(options_);
  EXPECT_TRUE(manager.CheckPod("pod9").ok());  // nothing set up: nothing to check
  ASSERT_TRUE(manager.SetUpPod("pod9", "/proc/self/ns/net", pod_).ok());
  ASSERT_TRUE(manager.CheckPod("pod9").ok());
  const std::vector<nlohmann::json> calls = Calls();
  ASSERT_EQ(calls.size(), 4u);
  for (size_t i : {2u, 3u}) {
    EXPECT_EQ(calls[i]["command"], "CHECK");
    EXPECT_EQ(calls[i]["env"]["CNI_NETNS"], "/proc/self/ns/net");
    EXPECT_EQ(calls[i]["stdin"]["prevResult"]["ips"][0]["address"], "10.9.0.9/24");
  }
  EXPECT_EQ(calls[2]["stdin"]["ip"], "10.9.0.9/24");  // the list's order, as ADD
  EXPECT_EQ(calls[3]["stdin"]["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  ASSERT_TRUE(manager.TearDownPod("pod9").ok());
  EXPECT_TRUE(manager.CheckPod("pod9").ok());
  EXPECT_EQ(Calls().size(), 6u);
}

TEST_F(NetworkManagerTest, CheckIsUnimplementedBefore040AndWithDisableCheck) {
  WriteNetwork("0.3.1", {{{"ip", "10.9.0.10/24"}}});
  NetworkManager manager(options_);
  ASSERT_TRUE(manager.SetUpPod("pod10", "/proc/self/ns/net", pod_).ok());
  EXPECT_TRUE(absl::IsUnimplemented(manager.CheckPod("pod10")));
  nlohmann::json list = {{"cniVersion", "1.0.0"}, {"name", "fakenet"}, {"disableCheck", true},
                         {"plugins", {{{"type", "fake"}, {"ip", "10.9.0.11/24"}, {"log", Log()}}}}};
  dir_.Write("net.d/10-fake.conflist", list.dump());
  ASSERT_TRUE(manager.SetUpPod("pod11", "/proc/self/ns/net", pod_).ok());
  EXPECT_THAT(std::string(manager.CheckPod("pod11").message()), HasSubstr("disableCheck"));
  EXPECT_EQ(Calls().size(), 2u);  // the two ADDs only
}

TEST_F(NetworkManagerTest, PodCidrBecomesIpRangesAndOutlivesARestart) {
  WriteNetwork("1.0.0", {{{"ip", "10.9.0.12/24"}, {"capabilities", {{"ipRanges", true}, {"bandwidth", true}}}}});
  {
    NetworkManager manager(options_);
    EXPECT_TRUE(absl::IsInvalidArgument(manager.SetPodCidr("10.250.3.0")));
    ASSERT_TRUE(manager.SetPodCidr("10.250.3.0/24").ok());
  }
  NetworkManager restarted(options_);
  EXPECT_EQ(restarted.PodCidr(), "10.250.3.0/24");
  (*pod_.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "1M";
  ASSERT_TRUE(restarted.SetUpPod("pod12", "/proc/self/ns/net", pod_).ok());
  const nlohmann::json offered = Calls().at(0)["stdin"]["runtimeConfig"];
  EXPECT_EQ(offered["ipRanges"], nlohmann::json::parse(R"([[{"subnet": "10.250.3.0/24"}]])"));
  EXPECT_EQ(offered["bandwidth"]["ingressRate"], 1000000);
  EXPECT_FALSE(offered.contains("portMappings"));  // not declared

  (*pod_.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "lots";
  EXPECT_TRUE(absl::IsInvalidArgument(restarted.SetUpPod("pod13", "/proc/self/ns/net", pod_).status()));
  EXPECT_FALSE(Cached("pod13"));
}

TEST_F(NetworkManagerTest, BrokenConfigFailsSetUp) {
  dir_.Write("net.d/10-bad.conflist", R"({"cniVersion": "1.0.0", "name": "bad", "plugins": [{}]})");
  NetworkManager manager(options_);
  absl::StatusOr<std::vector<std::string>> ips = manager.SetUpPod("pod8", "/proc/self/ns/net", pod_);
  EXPECT_THAT(std::string(ips.status().message()), HasSubstr("10-bad.conflist: plugins[0].type"));
}

}  // namespace
}  // namespace cloison::network
