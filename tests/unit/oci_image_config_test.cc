#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "cloison/oci/image_config.h"

namespace cloison::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ImageConfig, ParsesTheConfigObject) {
  absl::StatusOr<ImageConfig> image = ParseImageConfig(R"({
    "architecture": "amd64", "os": "linux",
    "config": {
      "Env": ["PATH=/usr/bin", "A=1"],
      "Entrypoint": ["/entry", "-x"],
      "Cmd": ["serve"],
      "WorkingDir": "/srv",
      "User": "app:grp",
      "StopSignal": "SIGQUIT",
      "Labels": {"b": "2", "a": "1"},
      "Volumes": {"/data": {}, "/cache": {}},
      "ExposedPorts": {"80/tcp": {}}
    },
    "rootfs": {"type": "layers", "diff_ids": []}
  })");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_THAT(image->env, ElementsAre("PATH=/usr/bin", "A=1"));
  EXPECT_THAT(image->entrypoint, ElementsAre("/entry", "-x"));
  EXPECT_THAT(image->cmd, ElementsAre("serve"));
  EXPECT_EQ(image->working_dir, "/srv");
  EXPECT_EQ(image->user, "app:grp");
  EXPECT_EQ(image->stop_signal, "SIGQUIT");
  EXPECT_THAT(image->labels, ElementsAre(Pair("a", "1"), Pair("b", "2")));
  EXPECT_THAT(image->volumes, ElementsAre("/cache", "/data"));
}

TEST(ImageConfig, NullsAndMissingFieldsAreEmpty) {
  absl::StatusOr<ImageConfig> image =
      ParseImageConfig(R"({"config": {"Entrypoint": null, "Cmd": null, "Labels": null}})");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(image->entrypoint.empty());
  EXPECT_TRUE(image->cmd.empty());
  EXPECT_TRUE(image->labels.empty());

  absl::StatusOr<ImageConfig> bare = ParseImageConfig(R"({"architecture": "amd64"})");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_TRUE(bare->env.empty());
  EXPECT_EQ(bare->user, "");
}

TEST(ImageConfig, WrongTypesAreInvalidArgument) {
  absl::StatusOr<ImageConfig> image = ParseImageConfig(R"({"config": {"Cmd": "sh -c x"}})");
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(image.status().message()), HasSubstr("config.Cmd"));

  EXPECT_FALSE(ParseImageConfig(R"({"config": {"Env": [1]}})").ok());
  EXPECT_FALSE(ParseImageConfig(R"({"config": {"User": 0}})").ok());
  EXPECT_FALSE(ParseImageConfig("not json").ok());
  EXPECT_FALSE(ParseImageConfig("[]").ok());
}

}  // namespace
}  // namespace cloison::oci
