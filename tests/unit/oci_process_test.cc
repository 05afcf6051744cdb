#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloison/oci/process.h"
#include "nlohmann/json.hpp"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
namespace v1 = runtime::v1;

// ---------------------------------------------------------------- args (Docker merge rules)

struct ArgsCase {
  std::string name;
  std::vector<std::string> entrypoint, cmd, command, args, expected;
};

class ArgsMerge : public ::testing::TestWithParam<ArgsCase> {};

TEST_P(ArgsMerge, FollowsDockerRules) {
  const ArgsCase& c = GetParam();
  ImageConfig image;
  image.entrypoint = c.entrypoint;
  image.cmd = c.cmd;
  v1::ContainerConfig config;
  for (const std::string& s : c.command) config.add_command(s);
  for (const std::string& s : c.args) config.add_args(s);
  absl::StatusOr<std::vector<std::string>> args = ProcessArgs(config, image);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(*args, ElementsAreArray(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ArgsMerge,
    ::testing::Values(
        ArgsCase{"ImageOnly", {"/ep"}, {"c1", "c2"}, {}, {}, {"/ep", "c1", "c2"}},
        ArgsCase{"CmdOnlyImage", {}, {"/bin/sh", "-c", "x"}, {}, {}, {"/bin/sh", "-c", "x"}},
        ArgsCase{"ArgsReplaceCmd", {"/ep"}, {"c1"}, {}, {"a1"}, {"/ep", "a1"}},
        ArgsCase{"CommandDropsCmd", {"/ep"}, {"c1"}, {"/cmd"}, {}, {"/cmd"}},
        ArgsCase{"CommandAndArgs", {"/ep"}, {"c1"}, {"/cmd"}, {"a1", "a2"}, {"/cmd", "a1", "a2"}},
        ArgsCase{"CommandWithoutImage", {}, {}, {"/cmd", "x"}, {}, {"/cmd", "x"}},
        ArgsCase{"ArgsWithoutEntrypoint", {}, {"c1"}, {}, {"/a", "b"}, {"/a", "b"}},
        ArgsCase{"EmptyStringEntrypointIsNone", {""}, {"/c"}, {}, {}, {"/c"}}),
    [](const ::testing::TestParamInfo<ArgsCase>& param_info) { return param_info.param.name; });

TEST(ArgsMergeErrors, NothingToRunIsInvalidArgument) {
  absl::StatusOr<std::vector<std::string>> args = ProcessArgs(v1::ContainerConfig(), ImageConfig());
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(args.status().message()), HasSubstr("config.command"));
}

// ---------------------------------------------------------------- env

google::protobuf::RepeatedPtrField<v1::KeyValue> Envs(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  google::protobuf::RepeatedPtrField<v1::KeyValue> envs;
  for (const auto& [key, value] : pairs) {
    v1::KeyValue* kv = envs.Add();
    kv->set_key(key);
    kv->set_value(value);
  }
  return envs;
}

TEST(Env, CriOverridesImageByKeyInPlace) {
  ImageConfig image;
  image.env = {"PATH=/image/bin", "A=image", "B=image"};
  absl::StatusOr<std::vector<std::string>> env =
      ProcessEnv(image, Envs({{"A", "cri"}, {"C", "new"}}), {"pod-1", false});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ElementsAre("PATH=/image/bin", "HOSTNAME=pod-1", "A=cri", "B=image", "C=new"));
}

TEST(Env, DefaultPathAndTerm) {
  absl::StatusOr<std::vector<std::string>> env = ProcessEnv(ImageConfig(), Envs({}), {"", true});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=xterm"));
}

TEST(Env, ValuesAreBytes) {
  // '=' inside a value, an empty value, valid UTF-8 and invalid bytes (which a JSON spec cannot
  // carry: each becomes U+FFFD, as containerd's encoder writes them).
  absl::StatusOr<std::vector<std::string>> env = ProcessEnv(
      ImageConfig(),
      Envs({{"EQ", "a=b=c"}, {"EMPTY", ""}, {"UTF8", "h\xC3\xA9llo"}, {"BIN", "x\xFF\xFEy"}}), {});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ElementsAre(::testing::StartsWith("PATH="), "EQ=a=b=c",
                                "EMPTY=", "UTF8=h\xC3\xA9llo", "BIN=x\xEF\xBF\xBD\xEF\xBF\xBDy"));
}

TEST(Env, RejectsWhatAnEnvironmentCannotHold) {
  absl::StatusOr<std::vector<std::string>> bad_key =
      ProcessEnv(ImageConfig(), Envs({{"OK", "1"}, {"A=B", "x"}}), {});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_key.status().message()), HasSubstr("config.envs[1].key"));

  absl::StatusOr<std::vector<std::string>> nul =
      ProcessEnv(ImageConfig(), Envs({{"N", std::string("a\0b", 3)}}), {});
  ASSERT_FALSE(nul.ok());
  EXPECT_THAT(std::string(nul.status().message()), HasSubstr("config.envs[0].value"));

  EXPECT_FALSE(ProcessEnv(ImageConfig(), Envs({{"", "x"}}), {}).ok());
}

// ---------------------------------------------------------------- working dir

TEST(Cwd, CriThenImageThenRoot) {
  ImageConfig image;
  v1::ContainerConfig config;
  EXPECT_EQ(*ProcessCwd(config, image), "/");
  image.working_dir = "/srv";
  EXPECT_EQ(*ProcessCwd(config, image), "/srv");
  image.working_dir = "app";
  EXPECT_EQ(*ProcessCwd(config, image), "/app");
  config.set_working_dir("/work");
  EXPECT_EQ(*ProcessCwd(config, image), "/work");
  config.set_working_dir("rel");
  absl::StatusOr<std::string> bad = ProcessCwd(config, image);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("config.working_dir"));
}

// ---------------------------------------------------------------- user

class User : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\n"
               "# comment\n"
               "app:x:1000:1000:App:/home/app:/bin/sh\n"
               "svc:x:2000:2001::/srv:/bin/false\n"
               "broken line\n");
    dir_.Write("etc/group",
               "root:x:0:\n"
               "app:x:1000:\n"
               "grp:x:3000:\n"
               "wheel:x:10:root,app\n"
               "audio:x:29:svc, app\n");
    absl::StatusOr<UserDatabase> db = ReadUserDatabase(dir_.path().string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  absl::StatusOr<ProcessUser> Resolve(const v1::LinuxContainerSecurityContext& sc,
                                      const std::string& image_user = "") {
    ImageConfig image;
    image.user = image_user;
    return ResolveProcessUser(db_, UserRequestOf(sc), image);
  }

  testing::TempDir dir_;
  UserDatabase db_;
};

TEST_F(User, DefaultsToRoot) {
  absl::StatusOr<ProcessUser> user = Resolve({});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 0u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_THAT(user->additional_gids, ElementsAre(0u, 10u));
  EXPECT_EQ(user->home, "/root");
}

TEST(UserHome, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  // An image's /etc/passwd may hold any bytes; the home becomes HOME in config.json, whose
  // dump() threw on a string that is not UTF-8.
  UserDatabase db;
  db.users = ParsePasswd("app:x:1000:1000::/home/\xff\xfe\xc3\xa9:/bin/sh\n");
  ImageConfig image;
  image.user = "app";
  absl::StatusOr<ProcessUser> user = ResolveProcessUser(db, UserRequest{}, image);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->home, "/home/\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
  EXPECT_NO_THROW(nlohmann::json(user->home).dump());
}

TEST_F(User, RunAsUserUsesPasswdGid) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_run_as_user()->set_value(1000);
  absl::StatusOr<ProcessUser> user = Resolve(sc, "svc");  // CRI wins over the image
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 1000u);
  EXPECT_THAT(user->additional_gids, ElementsAre(10u, 29u, 1000u));
  EXPECT_EQ(user->home, "/home/app");
}

TEST_F(User, RunAsUserUnknownToPasswdGetsGidZero) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_run_as_user()->set_value(4242);
  absl::StatusOr<ProcessUser> user = Resolve(sc);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 4242u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_THAT(user->additional_gids, ElementsAre(0u));
  EXPECT_EQ(user->home, "");
}

TEST_F(User, RunAsUserWithGroup) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_run_as_user()->set_value(1000);
  sc.mutable_run_as_group()->set_value(3000);
  absl::StatusOr<ProcessUser> user = Resolve(sc);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->gid, 3000u);
  EXPECT_THAT(user->additional_gids, ElementsAre(10u, 29u, 3000u));
}

TEST_F(User, RunAsUsernameFromPasswd) {
  v1::LinuxContainerSecurityContext sc;
  sc.set_run_as_username("svc");
  absl::StatusOr<ProcessUser> user = Resolve(sc);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 2000u);
  EXPECT_EQ(user->gid, 2001u);
  EXPECT_THAT(user->additional_gids, ElementsAre(29u, 2001u));
  EXPECT_EQ(user->home, "/srv");
}

TEST_F(User, UnknownUsernameNamesTheField) {
  v1::LinuxContainerSecurityContext sc;
  sc.set_run_as_username("nobody");
  absl::StatusOr<ProcessUser> user = Resolve(sc);
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(user.status().message()),
            "config.linux.security_context.run_as_username: user \"nobody\" not found in the "
            "image's /etc/passwd");
}

TEST_F(User, ImageUserNameAndGroupName) {
  absl::StatusOr<ProcessUser> user = Resolve({}, "app:grp");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 3000u);
  EXPECT_THAT(user->additional_gids, ElementsAre(10u, 29u, 3000u));
}

TEST_F(User, ImageUserNumeric) {
  absl::StatusOr<ProcessUser> user = Resolve({}, "1000:1000");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 1000u);
  EXPECT_THAT(user->additional_gids, ElementsAre(10u, 29u, 1000u));

  absl::StatusOr<ProcessUser> unknown = Resolve({}, "65535:65535");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->uid, 65535u);
  EXPECT_THAT(unknown->additional_gids, ElementsAre(65535u));
}

TEST_F(User, ImageUserErrorsNameTheImageField) {
  absl::StatusOr<ProcessUser> user = Resolve({}, "ghost");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(user.status().message()), HasSubstr("image config User"));

  absl::StatusOr<ProcessUser> group = Resolve({}, "app:nogroup");
  ASSERT_FALSE(group.ok());
  EXPECT_THAT(std::string(group.status().message()),
              HasSubstr("group \"nogroup\" not found in the image's /etc/group"));

  EXPECT_FALSE(Resolve({}, "a:b:c").ok());
}

TEST_F(User, SupplementalGroupsMergeOrStrict) {
  v1::LinuxContainerSecurityContext sc;
  sc.set_run_as_username("app");
  sc.add_supplemental_groups(5000);
  sc.add_supplemental_groups(10);
  absl::StatusOr<ProcessUser> merged = Resolve(sc);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_THAT(merged->additional_gids, ElementsAre(10u, 29u, 1000u, 5000u));

  sc.set_supplemental_groups_policy(v1::Strict);
  absl::StatusOr<ProcessUser> strict = Resolve(sc);
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_THAT(strict->additional_gids, ElementsAre(10u, 1000u, 5000u));
}

TEST_F(User, InvalidCombinationsAndIds) {
  v1::LinuxContainerSecurityContext group_only;
  group_only.mutable_run_as_group()->set_value(5);
  absl::StatusOr<ProcessUser> user = Resolve(group_only);
  ASSERT_FALSE(user.ok());
  EXPECT_THAT(std::string(user.status().message()),
              HasSubstr("config.linux.security_context.run_as_group"));

  v1::LinuxContainerSecurityContext negative;
  negative.mutable_run_as_user()->set_value(-1);
  absl::StatusOr<ProcessUser> neg = Resolve(negative);
  ASSERT_FALSE(neg.ok());
  EXPECT_THAT(std::string(neg.status().message()),
              HasSubstr("config.linux.security_context.run_as_user"));

  v1::LinuxContainerSecurityContext bad_group;
  bad_group.add_supplemental_groups(-3);
  absl::StatusOr<ProcessUser> sup = Resolve(bad_group);
  ASSERT_FALSE(sup.ok());
  EXPECT_THAT(std::string(sup.status().message()), HasSubstr("supplemental_groups[0]"));
}

TEST_F(User, SandboxSecurityContext) {
  v1::LinuxSandboxSecurityContext sc;
  sc.mutable_run_as_user()->set_value(2000);
  sc.add_supplemental_groups(7);
  absl::StatusOr<ProcessUser> user = ResolveProcessUser(db_, UserRequestOf(sc), ImageConfig());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 2000u);
  EXPECT_THAT(user->additional_gids, ElementsAre(7u, 29u, 2001u));
}

}  // namespace
}  // namespace cloison::oci
