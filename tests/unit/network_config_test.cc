#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cloison/network/cni_config.h"
#include "cloison/network/cni_result.h"
#include "cloison/network/network_readiness.h"
#include "test_tmpdir.h"

namespace cloison::network {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseNetworkConfig, ReadsAConflist) {
  absl::StatusOr<NetworkConfigList> list = ParseNetworkConfig(R"({
    "cniVersion": "1.0.0", "name": "net",
    "plugins": [{"type": "bridge", "bridge": "br0"}, {"type": "portmap", "capabilities": {"portMappings": true}}]
  })", "a.conflist");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "net");
  EXPECT_EQ(list->cni_version, "1.0.0");
  ASSERT_EQ(list->plugins.size(), 2u);
  EXPECT_EQ(list->plugins[0]["bridge"], "br0");
  EXPECT_EQ(list->plugins[1]["type"], "portmap");
}

TEST(ParseNetworkConfig, WrapsASinglePluginConf) {
  absl::StatusOr<NetworkConfigList> list =
      ParseNetworkConfig(R"({"cniVersion": "0.4.0", "name": "one", "type": "bridge", "ipam": {}})", "b.conf");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->cni_version, "0.4.0");
  ASSERT_EQ(list->plugins.size(), 1u);
  EXPECT_EQ(list->plugins[0]["type"], "bridge");
  EXPECT_TRUE(list->plugins[0].contains("ipam"));
}

TEST(ParseNetworkConfig, ErrorsNameTheFileAndField) {
  auto message = [](const std::string& text) {
    return std::string(ParseNetworkConfig(text, "x.conflist").status().message());
  };
  EXPECT_THAT(message("not json"), HasSubstr("x.conflist: not a JSON object"));
  EXPECT_THAT(message(R"({"cniVersion": "1.0.0", "plugins": []})"), HasSubstr("x.conflist: name"));
  EXPECT_THAT(message(R"({"name": "n", "plugins": []})"), HasSubstr("cniVersion"));
  EXPECT_THAT(message(R"({"name": "n", "cniVersion": "0.2.0", "type": "x"})"), HasSubstr("\"0.2.0\" is not supported"));
  EXPECT_THAT(message(R"({"name": "n", "cniVersion": "1.0.0", "plugins": []})"), HasSubstr("plugins: must be"));
  EXPECT_THAT(message(R"({"name": "n", "cniVersion": "1.0.0", "plugins": [{"type": "a"}, {}]})"),
              HasSubstr("plugins[1].type"));
  EXPECT_THAT(message(R"({"name": "n", "cniVersion": "1.0.0"})"), HasSubstr("type"));
}

TEST(ParseNetworkConfig, FieldsOfAnotherTypeAreErrorsNotExceptions) {
  auto message = [](const std::string& text) {
    return std::string(ParseNetworkConfig(text, "x.conflist").status().message());
  };
  EXPECT_THAT(message(R"({"cniVersion": 1, "name": "n", "plugins": [{"type": "a"}]})"), HasSubstr("x.conflist: cniVersion"));
  EXPECT_THAT(message(R"({"cniVersion": "1.0.0", "name": ["n"], "type": "a"})"), HasSubstr("x.conflist: name"));
  EXPECT_THAT(message(R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": 5}]})"), HasSubstr("plugins[0].type"));
  EXPECT_THAT(message(R"({"cniVersion": "1.0.0", "name": "n", "plugins": {"type": "a"}})"), HasSubstr("plugins: must be"));
  absl::StatusOr<NetworkConfigList> list =
      ParseNetworkConfig(R"({"cniVersion": "1.0.0", "name": "n", "disableCheck": "yes", "type": "a"})", "x.conf");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_FALSE(list->disable_check);
}

TEST(ParseNetworkConfig, DeepNestingIsRefusedBeforeCopiesOverflowTheStack) {
  // Parsing is iterative, but the plugin's copy recursed: 100000 "[" crashed cloisond.
  const std::string deep = R"({"cniVersion": "1.0.0", "name": "n", "type": "a", "k": )" + std::string(100000, '[') +
                           std::string(100000, ']') + "}";
  absl::StatusOr<NetworkConfigList> list = ParseNetworkConfig(deep, "x.conf");
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(list.status().message()), HasSubstr("x.conf: nested deeper than"));
  const std::string fine = R"({"cniVersion": "1.0.0", "name": "n", "type": "a", "k": )" + std::string(50, '[') +
                           std::string(50, ']') + "}";
  EXPECT_TRUE(ParseNetworkConfig(fine, "x.conf").ok());
}

TEST(ParseNetworkConfig, RoundTripsThroughJson) {
  absl::StatusOr<NetworkConfigList> list =
      ParseNetworkConfig(R"({"cniVersion": "0.3.1", "name": "n", "plugins": [{"type": "a", "k": [1]}]})", "c");
  ASSERT_TRUE(list.ok());
  absl::StatusOr<NetworkConfigList> again = ParseNetworkConfig(NetworkConfigListToJson(*list).dump(), "cache");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name, "n");
  EXPECT_EQ(again->cni_version, "0.3.1");
  EXPECT_EQ(again->plugins, list->plugins);
}

TEST(LoadDefaultNetwork, TakesTheFirstFileAndReportsAnEmptyDir) {
  testing::TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(LoadDefaultNetwork(dir.path().string()).status()));
  dir.Write("20-b.conflist", R"({"cniVersion": "1.0.0", "name": "b", "plugins": [{"type": "x"}]})");
  dir.Write("10-a.conf", R"({"cniVersion": "1.0.0", "name": "a", "type": "y"})");
  absl::StatusOr<NetworkConfigList> list = LoadDefaultNetwork(dir.path().string());
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "a");
}

TEST(CheckDefaultNetwork, NeedsAParsingFileAndEveryPluginBinary) {
  testing::TempDir conf;
  testing::TempDir bin;
  const std::string conf_dir = conf.path().string();
  const std::vector<std::string> bin_dirs = {(bin.path() / "none").string(), bin.path().string()};
  EXPECT_TRUE(absl::IsNotFound(CheckDefaultNetwork(conf_dir, bin_dirs)));

  const std::string path = conf.Write("10-net.conflist", R"({"cniVersion": "1.0.0", "name": "n", "plugins": [)");
  absl::Status status = CheckDefaultNetwork(conf_dir, bin_dirs);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(path + ": not a JSON object"));

  conf.Write("10-net.conflist", R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "a"}, {"type": "b"}]})");
  std::filesystem::permissions(bin.Write("a", "#!/bin/sh\n"), std::filesystem::perms::owner_all);
  bin.Write("b", "not executable");
  status = CheckDefaultNetwork(conf_dir, bin_dirs);
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(path + ": CNI plugin \"b\" not found"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(bin.path().string()));

  std::filesystem::permissions(bin.path() / "b", std::filesystem::perms::owner_all);
  EXPECT_TRUE(CheckDefaultNetwork(conf_dir, bin_dirs).ok());
  // A .conf holding one plugin is checked the same way.
  conf.Write("05-one.conf", R"({"cniVersion": "0.4.0", "name": "one", "type": "c"})");
  EXPECT_THAT(std::string(CheckDefaultNetwork(conf_dir, bin_dirs).message()), HasSubstr("05-one.conf: CNI plugin \"c\""));
}

TEST(AtLeast040, Versions) {
  EXPECT_FALSE(AtLeast040("0.3.0"));
  EXPECT_FALSE(AtLeast040("0.3.1"));
  EXPECT_TRUE(AtLeast040("0.4.0"));
  EXPECT_TRUE(AtLeast040("1.0.0"));
}

TEST(PodIpsFromResult, Version100) {
  const nlohmann::json result = nlohmann::json::parse(R"({
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "cni0", "mac": "aa"}, {"name": "veth1", "mac": "bb"},
                   {"name": "eth0", "mac": "cc", "sandbox": "/run/netns/x"}],
    "ips": [{"address": "10.1.0.5/24", "gateway": "10.1.0.1", "interface": 2},
            {"address": "fd00::5/64", "interface": 2}],
    "routes": [{"dst": "0.0.0.0/0"}]
  })");
  absl::StatusOr<std::vector<std::string>> ips = PodIpsFromResult(result);
  ASSERT_TRUE(ips.ok()) << ips.status();
  EXPECT_THAT(*ips, ElementsAre("10.1.0.5", "fd00::5"));
}

TEST(PodIpsFromResult, Version040And031) {
  for (const char* version : {"0.4.0", "0.3.1"}) {
    nlohmann::json result = nlohmann::json::parse(R"({
      "ips": [{"version": "4", "address": "10.2.0.7/16", "gateway": "10.2.0.1"}], "dns": {}
    })");
    result["cniVersion"] = version;
    absl::StatusOr<std::vector<std::string>> ips = PodIpsFromResult(result);
    ASSERT_TRUE(ips.ok()) << ips.status();
    EXPECT_THAT(*ips, ElementsAre("10.2.0.7"));
  }
}

TEST(PodIpsFromResult, SkipsHostSideAddressesAndEmptyResults) {
  const nlohmann::json result = nlohmann::json::parse(R"({
    "interfaces": [{"name": "br0"}, {"name": "eth0", "sandbox": "/x"}],
    "ips": [{"address": "10.3.0.1/24", "interface": 0}, {"address": "10.3.0.9/24", "interface": 1}]
  })");
  EXPECT_THAT(*PodIpsFromResult(result), ElementsAre("10.3.0.9"));
  EXPECT_TRUE(PodIpsFromResult(nlohmann::json::object())->empty());
}

TEST(PodIpsFromResult, InterfaceSandboxOfAnotherTypeCountsAsTheHosts) {
  // A plugin's "sandbox": 5 used to throw out of value() and end cloisond.
  const nlohmann::json result = nlohmann::json::parse(R"({
    "interfaces": [{"name": "br0", "sandbox": 5}, {"name": "eth0", "sandbox": "/x"}, "eth1"],
    "ips": [{"address": "10.3.0.1/24", "interface": 0}, {"address": "10.3.0.9/24", "interface": 1},
            {"address": "10.3.0.7/24", "interface": 2}, {"address": "10.3.0.8/24", "interface": 1.5}]
  })");
  absl::StatusOr<std::vector<std::string>> ips = PodIpsFromResult(result);
  ASSERT_TRUE(ips.ok()) << ips.status();
  EXPECT_THAT(*ips, ElementsAre("10.3.0.9", "10.3.0.8"));
}

TEST(PodIpsFromResult, MalformedAddressNamesTheEntry) {
  const nlohmann::json result = nlohmann::json::parse(R"({"ips": [{"address": "10.0.0.1/8"}, {"address": "bogus"}]})");
  EXPECT_THAT(std::string(PodIpsFromResult(result).status().message()), HasSubstr("ips[1].address \"bogus\""));
  EXPECT_FALSE(PodIpsFromResult(nlohmann::json::parse(R"({"ips": [{"address": "10.0.0.1"}]})")).ok());
  EXPECT_FALSE(PodIpsFromResult(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace cloison::network
