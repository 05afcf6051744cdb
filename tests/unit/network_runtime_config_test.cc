// The runtimeConfig capabilities cloison fills from outside the plugin input: bandwidth from
// the pod's annotations and ipRanges from the node's pod CIDR.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/network/pod_bandwidth.h"
#include "cloison/network/pod_cidr.h"

namespace cloison::network {
namespace {

using ::testing::HasSubstr;

TEST(ParseQuantity, DecimalBinaryAndExponentForms) {
  EXPECT_EQ(*ParseQuantity("1000"), 1000u);
  EXPECT_EQ(*ParseQuantity("10M"), 10000000u);
  EXPECT_EQ(*ParseQuantity("1.5k"), 1500u);
  EXPECT_EQ(*ParseQuantity("1Gi"), 1073741824u);
  EXPECT_EQ(*ParseQuantity("2e3"), 2000u);
  EXPECT_EQ(*ParseQuantity("1P"), 1000000000000000u);
  EXPECT_EQ(*ParseQuantity("1500m"), 2u);  // rounded up, as Kubernetes' Value()
  for (const char* bad : {"", "M", "ten", "1.2.3", "10 M", "10mb", "-1k", "1e", ".5"}) {
    EXPECT_FALSE(ParseQuantity(bad).ok()) << bad;
  }
}

TEST(PodBandwidth, RatesFromTheAnnotationsWithContainerdsBurst) {
  ::runtime::v1::PodSandboxConfig config;
  EXPECT_TRUE(PodBandwidth(config)->is_null());
  (*config.mutable_annotations())[kIngressBandwidthAnnotation] = "10M";
  EXPECT_EQ(*PodBandwidth(config), nlohmann::json({{"ingressRate", 10000000}, {"ingressBurst", 4294967295u}}));
  (*config.mutable_annotations())[kEgressBandwidthAnnotation] = "1Mi";
  EXPECT_EQ(*PodBandwidth(config), nlohmann::json({{"ingressRate", 10000000},
                                                   {"ingressBurst", 4294967295u},
                                                   {"egressRate", 1048576},
                                                   {"egressBurst", 4294967295u}}));
}

TEST(PodBandwidth, UnreasonableOrMalformedValuesNameTheAnnotation) {
  ::runtime::v1::PodSandboxConfig config;
  (*config.mutable_annotations())[kEgressBandwidthAnnotation] = "999";
  absl::StatusOr<nlohmann::json> small = PodBandwidth(config);
  EXPECT_TRUE(absl::IsInvalidArgument(small.status()));
  EXPECT_THAT(std::string(small.status().message()), HasSubstr("kubernetes.io/egress-bandwidth"));
  (*config.mutable_annotations())[kEgressBandwidthAnnotation] = "2P";
  EXPECT_FALSE(PodBandwidth(config).ok());
  (*config.mutable_annotations())[kEgressBandwidthAnnotation] = "fast";
  EXPECT_THAT(std::string(PodBandwidth(config).status().message()), HasSubstr("\"fast\" is not a quantity"));
}

TEST(PodCidr, OneRangeSetPerCidr) {
  absl::StatusOr<std::vector<std::string>> cidrs = ParsePodCidrs("10.244.1.0/24, fd00:10:244:1::/64");
  ASSERT_TRUE(cidrs.ok()) << cidrs.status();
  EXPECT_THAT(*cidrs, ::testing::ElementsAre("10.244.1.0/24", "fd00:10:244:1::/64"));
  EXPECT_EQ(IpRanges(*cidrs), nlohmann::json::parse(R"([[{"subnet": "10.244.1.0/24"}],
                                                         [{"subnet": "fd00:10:244:1::/64"}]])"));
  EXPECT_TRUE(ParsePodCidrs("")->empty());
  EXPECT_EQ(IpRanges({}), nlohmann::json::array());
}

TEST(PodCidr, MalformedCidrsAreNamed) {
  for (const char* bad : {"10.244.1.0", "10.244.1.0/33", "10.244.1/24", "fd00::/129", "10.0.0.0/8,x/1"}) {
    absl::StatusOr<std::vector<std::string>> cidrs = ParsePodCidrs(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(cidrs.status())) << bad;
  }
  EXPECT_THAT(std::string(ParsePodCidrs("10.0.0.0/8,x/1").status().message()), HasSubstr("\"x/1\""));
}

}  // namespace
}  // namespace cloison::network
