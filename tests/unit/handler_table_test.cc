#include "cloison/runtime/handler_table.h"

#include <gtest/gtest.h>

#include "cloison/config/loader.h"
#include "test_tmpdir.h"

namespace cloison::runtime {
namespace {

config::Config LoadWithDropIn(const testing::TempDir& dir, const std::string& drop_in) {
  config::ConfigSources sources;
  sources.config_file = dir.Write("main.toml", "");
  dir.Write("conf.d/10.toml", drop_in);
  sources.config_dir = (dir.path() / "conf.d").string();
  absl::StatusOr<config::Config> config = config::LoadConfig(sources);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

TEST(HandlerTable, RealRuncIsAvailableAndMissingBinaryIsNot) {
  testing::TempDir dir;
  const config::Config config = LoadWithDropIn(
      dir, "[runtimes.ghost]\nruntime_path = \"/nonexistent/ghost-runtime\"\n");
  const HandlerTable table = HandlerTable::Probe(config);
  EXPECT_EQ(table.default_name(), "runc");
  EXPECT_EQ(table.Names(), "ghost, runc, runsc");

  const HandlerInfo* runc = table.Find("runc");
  ASSERT_NE(runc, nullptr);
  EXPECT_TRUE(runc->available()) << runc->unavailable_reason;
  EXPECT_EQ(runc->resolved_path.back(), 'c');
  EXPECT_EQ(access(runc->resolved_path.c_str(), X_OK), 0);

  const HandlerInfo* ghost = table.Find("ghost");
  ASSERT_NE(ghost, nullptr);
  EXPECT_FALSE(ghost->available());
  EXPECT_NE(ghost->unavailable_reason.find("/nonexistent/ghost-runtime"), std::string::npos);
  EXPECT_EQ(table.Find("nope"), nullptr);
}

TEST(HandlerFeatures, ReadFromOciFeaturesJson) {
  const char* with_everything = R"({
    "mountOptions": ["ro", "rro", "rbind"],
    "linux": {"namespaces": ["pid", "user"], "mountExtensions": {"idmap": {"enabled": true}}}
  })";
  const KernelFeatures new_kernel{/*mount_setattr=*/true, /*idmapped_overlay_layers=*/true};
  HandlerFeatures features = FeaturesFromOciJson(with_everything, new_kernel);
  EXPECT_TRUE(features.recursive_read_only_mounts);
  EXPECT_TRUE(features.user_namespaces);

  features = FeaturesFromOciJson(with_everything, KernelFeatures{});
  EXPECT_FALSE(features.recursive_read_only_mounts);
  EXPECT_FALSE(features.user_namespaces) << "no ID-mapped overlay layers before Linux 5.19";

  // runc 1.1 (Debian 12): knows user namespaces but has no idmapped mounts; cloison maps the
  // rootfs itself, so that is enough.
  const char* runc_1_1 = R"({"mountOptions": ["ro", "rro"], "linux": {"namespaces": ["user"]}})";
  features = FeaturesFromOciJson(runc_1_1, new_kernel);
  EXPECT_TRUE(features.recursive_read_only_mounts);
  EXPECT_TRUE(features.user_namespaces);

  const char* no_userns = R"({"linux": {"namespaces": ["pid", "network"]}})";
  EXPECT_FALSE(FeaturesFromOciJson(no_userns, new_kernel).user_namespaces);

  features = FeaturesFromOciJson("not json", new_kernel);
  EXPECT_FALSE(features.recursive_read_only_mounts);
  EXPECT_FALSE(features.user_namespaces);
}

}  // namespace
}  // namespace cloison::runtime
