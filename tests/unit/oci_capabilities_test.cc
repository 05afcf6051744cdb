#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloison/oci/capabilities.h"

namespace cloison::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;
namespace v1 = runtime::v1;

// What a daemon might hold: the defaults plus a few, in mixed spellings, without SYS_RESOURCE.
const std::vector<std::string> kAvailable = {
    "CAP_CHOWN",  "dac_override",  "CAP_FSETID",    "CAP_FOWNER",
    "CAP_SETGID", "CAP_SETUID",    "CAP_SETPCAP",   "CAP_NET_BIND_SERVICE",
    "CAP_KILL",   "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW"};

std::vector<std::string> AllCanonical() {
  std::vector<std::string> out;
  for (const std::string& c : kAvailable) out.push_back(CanonicalCapability(c));
  return out;
}

v1::Capability Caps(std::vector<std::string> add, std::vector<std::string> drop) {
  v1::Capability caps;
  for (const std::string& c : add) caps.add_add_capabilities(c);
  for (const std::string& c : drop) caps.add_drop_capabilities(c);
  return caps;
}

TEST(Capabilities, DefaultSetIsCrioDefaults) {
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(nullptr, false, kAvailable);
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_THAT(sets->granted, UnorderedElementsAreArray(DefaultCapabilities()));
  EXPECT_THAT(sets->ambient, IsEmpty());
}

TEST(Capabilities, DefaultsOutsideTheAvailableSetAreLeftOut) {
  absl::StatusOr<CapabilitySets> sets =
      ComputeCapabilities(nullptr, false, {"CAP_CHOWN", "CAP_KILL"});
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_THAT(sets->granted, ElementsAre("CAP_CHOWN", "CAP_KILL"));
}

TEST(Capabilities, AddAndDropWithOrWithoutPrefix) {
  const v1::Capability caps = Caps({"net_admin", "CAP_NET_RAW"}, {"CHOWN", "cap_kill", "MKNOD"});
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(&caps, false, kAvailable);
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_THAT(sets->granted, ElementsAre("CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
                                         "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                                         "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID"));
}

TEST(Capabilities, AddAllThenDropOne) {
  const v1::Capability caps = Caps({"ALL"}, {"SYS_ADMIN"});
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(&caps, false, kAvailable);
  ASSERT_TRUE(sets.ok()) << sets.status();
  std::vector<std::string> expected = AllCanonical();
  std::erase(expected, "CAP_SYS_ADMIN");
  EXPECT_THAT(sets->granted, UnorderedElementsAreArray(expected));
}

TEST(Capabilities, DropAllThenAddOne) {
  const v1::Capability caps = Caps({"NET_BIND_SERVICE"}, {"all"});
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(&caps, false, kAvailable);
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_THAT(sets->granted, ElementsAre("CAP_NET_BIND_SERVICE"));
}

TEST(Capabilities, PrivilegedGetsEveryAvailableCapabilityAndIgnoresDrops) {
  const v1::Capability caps = Caps({}, {"ALL"});
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(&caps, true, kAvailable);
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_THAT(sets->granted, UnorderedElementsAreArray(AllCanonical()));
  EXPECT_THAT(sets->granted, ::testing::Not(::testing::Contains("CAP_SYS_RESOURCE")));
}

TEST(Capabilities, AddingWhatTheDaemonLacksIsInvalidArgument) {
  const v1::Capability caps = Caps({"CHOWN", "SYS_RESOURCE"}, {});
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(&caps, false, kAvailable);
  ASSERT_FALSE(sets.ok());
  EXPECT_EQ(sets.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sets.status().message()),
              HasSubstr("config.linux.security_context.capabilities.add_capabilities[1]"));

  const v1::Capability junk = Caps({}, {"NET ADMIN"});
  absl::StatusOr<CapabilitySets> bad = ComputeCapabilities(&junk, false, kAvailable);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("drop_capabilities[0]"));
}

TEST(Capabilities, AmbientCapabilitiesAreGrantedAndAmbient) {
  v1::Capability caps;
  caps.add_add_ambient_capabilities("NET_ADMIN");
  absl::StatusOr<CapabilitySets> sets = ComputeCapabilities(&caps, false, kAvailable);
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_THAT(sets->ambient, ElementsAre("CAP_NET_ADMIN"));
  EXPECT_THAT(sets->granted, ::testing::Contains("CAP_NET_ADMIN"));
}

}  // namespace
}  // namespace cloison::oci
