#include "cloison/oci/user_namespace.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cloison::oci {
namespace {

using ::testing::HasSubstr;
namespace v1 = runtime::v1;

constexpr const char* kPrefix = "config.linux.security_context";

class PodUserNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    userns_ = options_.mutable_userns_options();
    userns_->set_mode(v1::POD);
    AddMapping(userns_->mutable_uids(), 0, 100000, 65536);
    AddMapping(userns_->mutable_gids(), 0, 100000, 65536);
  }

  static void AddMapping(google::protobuf::RepeatedPtrField<v1::IDMapping>* list, uint32_t container_id,
                         uint32_t host_id, uint32_t length) {
    v1::IDMapping* m = list->Add();
    m->set_container_id(container_id);
    m->set_host_id(host_id);
    m->set_length(length);
  }

  // The INVALID_ARGUMENT message for the current options.
  std::string Invalid() {
    absl::StatusOr<std::optional<UserNamespaceMappings>> result = PodUserNamespace(&options_, kPrefix);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    return std::string(result.status().message());
  }

  v1::NamespaceOption options_;
  v1::UserNamespace* userns_ = nullptr;
};

TEST_F(PodUserNamespaceTest, NodeOrNoOptionsIsTheHostsNamespace) {
  EXPECT_EQ(*PodUserNamespace(nullptr, kPrefix), std::nullopt);
  v1::NamespaceOption none;
  EXPECT_EQ(*PodUserNamespace(&none, kPrefix), std::nullopt);
  userns_->set_mode(v1::NODE);
  EXPECT_EQ(*PodUserNamespace(&options_, kPrefix), std::nullopt);
}

TEST_F(PodUserNamespaceTest, KubeletsPodMappingsAreAccepted) {
  AddMapping(userns_->mutable_uids(), 65536, 300000, 10);  // a second line, elsewhere on both sides
  absl::StatusOr<std::optional<UserNamespaceMappings>> result = PodUserNamespace(&options_, kPrefix);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->has_value());
  const UserNamespaceMappings& mappings = **result;
  EXPECT_EQ(mappings.uids, (std::vector<IdMapping>{{0, 100000, 65536}, {65536, 300000, 10}}));
  EXPECT_EQ(mappings.gids, (std::vector<IdMapping>{{0, 100000, 65536}}));
  EXPECT_EQ(mappings.HostRootUid(), 100000u);
  EXPECT_EQ(mappings.HostRootGid(), 100000u);
  EXPECT_EQ(IdMapFileText(mappings.uids), "0 100000 65536\n65536 300000 10\n");
}

TEST_F(PodUserNamespaceTest, ModesOtherThanPodAndNodeAreInvalid) {
  userns_->set_mode(v1::TARGET);
  EXPECT_THAT(Invalid(), HasSubstr("config.linux.security_context.namespace_options.userns_options.mode: TARGET"));
  userns_->set_mode(v1::CONTAINER);
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.mode: CONTAINER"));
}

TEST_F(PodUserNamespaceTest, PodModeNeedsMappings) {
  userns_->clear_uids();
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids: empty"));
  AddMapping(userns_->mutable_uids(), 0, 100000, 65536);
  userns_->clear_gids();
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.gids: empty"));
}

TEST_F(PodUserNamespaceTest, ZeroLengthIsInvalid) {
  userns_->mutable_gids(0)->set_length(0);
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.gids[0].length: 0"));
}

TEST_F(PodUserNamespaceTest, OverlappingRangesAreInvalid) {
  AddMapping(userns_->mutable_uids(), 1000, 500000, 10);  // inside [0, 65536) in the container
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids[1].container_id: its range overlaps "));
  userns_->mutable_uids(1)->set_container_id(70000);
  userns_->mutable_uids(1)->set_host_id(165535);  // the last host id of line 0
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids[1].host_id: its range overlaps "));
  userns_->mutable_uids(1)->set_host_id(165536);  // right after it: fine
  EXPECT_TRUE(PodUserNamespace(&options_, kPrefix).ok());
}

TEST_F(PodUserNamespaceTest, RangesPastTheIdSpaceAreInvalid) {
  userns_->mutable_uids(0)->set_host_id(4294967295u);
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids[0]: the range of length 65536 runs past"));
}

TEST_F(PodUserNamespaceTest, MoreLinesThanTheKernelTakesAreInvalid) {
  userns_->mutable_uids(0)->set_length(1);
  for (uint32_t i = 1; i <= kMaxIdMapLines; ++i) AddMapping(userns_->mutable_uids(), i, 1000 + i, 1);
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids: 341 mappings; the kernel takes at most 340"));
  userns_->mutable_uids()->RemoveLast();
  EXPECT_TRUE(PodUserNamespace(&options_, kPrefix).ok()) << "340 short lines fit";
}

TEST_F(PodUserNamespaceTest, MapsThatDoNotFitOneWriteAreInvalid) {
  userns_->clear_uids();
  for (uint32_t i = 0; i < 200; ++i) AddMapping(userns_->mutable_uids(), i * 1000000, 3000000000u + i * 1000000, 1);
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids: the mappings take more than the kernel's 4095 bytes"));
}

TEST_F(PodUserNamespaceTest, ContainerRootMustBeMapped) {
  userns_->mutable_uids(0)->set_container_id(1);
  EXPECT_THAT(Invalid(), HasSubstr("userns_options.uids: container id 0 is not mapped"));
}

TEST(ContainerUserNamespace, MustMatchThePods) {
  const std::optional<UserNamespaceMappings> pod = UserNamespaceMappings{{{0, 100000, 65536}}, {{0, 100000, 65536}}};
  v1::NamespaceOption options;
  EXPECT_TRUE(CheckContainerUserNamespace(nullptr, pod, kPrefix).ok());
  EXPECT_TRUE(CheckContainerUserNamespace(&options, pod, kPrefix).ok());
  EXPECT_TRUE(CheckContainerUserNamespace(&options, std::nullopt, kPrefix).ok());
  v1::UserNamespace* userns = options.mutable_userns_options();
  userns->set_mode(v1::POD);
  v1::IDMapping* m = userns->add_uids();
  m->set_host_id(100000);
  m->set_length(65536);
  *userns->add_gids() = *m;
  EXPECT_TRUE(CheckContainerUserNamespace(&options, pod, kPrefix).ok());
  EXPECT_EQ(CheckContainerUserNamespace(&options, std::nullopt, kPrefix).code(), absl::StatusCode::kInvalidArgument);
  m->set_length(1000);
  const absl::Status status = CheckContainerUserNamespace(&options, pod, kPrefix);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("namespace_options.userns_options: the mappings differ"));
}

}  // namespace
}  // namespace cloison::oci
