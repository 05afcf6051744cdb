#include "cloison/sandbox/pod_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cloison::sandbox {
namespace {

using ::testing::HasSubstr;

::runtime::v1::PodSandboxConfig Annotated(const std::string& key, const std::string& value) {
  ::runtime::v1::PodSandboxConfig config;
  (*config.mutable_annotations())[key] = value;
  return config;
}

TEST(PodHandlerName, TheRequestedHandlerWins) {
  EXPECT_EQ(*PodHandlerName(Annotated("io.kubernetes.cri.untrusted-workload", "true"), "runc", "runsc"), "runc");
  EXPECT_EQ(*PodHandlerName({}, "kata", ""), "kata");
}

TEST(PodHandlerName, NoHandlerAndNoMarkMeansTheDefault) {
  EXPECT_EQ(*PodHandlerName({}, "", "runsc"), "");
  EXPECT_EQ(*PodHandlerName(Annotated("io.kubernetes.cri-o.TrustedSandbox", "true"), "", "runsc"), "");
  EXPECT_EQ(*PodHandlerName(Annotated("io.kubernetes.cri.untrusted-workload", "false"), "", "runsc"), "");
}

TEST(PodHandlerName, EitherLegacyAnnotationSelectsTheUntrustedHandler) {
  EXPECT_EQ(*PodHandlerName(Annotated("io.kubernetes.cri-o.TrustedSandbox", "false"), "", "runsc"), "runsc");
  EXPECT_EQ(*PodHandlerName(Annotated("io.kubernetes.cri.untrusted-workload", "true"), "", "runsc"), "runsc");
}

TEST(PodHandlerName, AnUntrustedPodWithoutAnUntrustedHandlerNamesTheAnnotation) {
  absl::StatusOr<std::string> name = PodHandlerName(Annotated("io.kubernetes.cri-o.TrustedSandbox", "false"), "", "");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(name.status().message()), HasSubstr("io.kubernetes.cri-o.TrustedSandbox: \"false\""));
  EXPECT_THAT(std::string(name.status().message()), HasSubstr("untrusted_workload_runtime"));
}

}  // namespace
}  // namespace cloison::sandbox
