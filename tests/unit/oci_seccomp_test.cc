#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cloison/oci/lsm.h"
#include "cloison/oci/seccomp_default.h"
#include "cloison/oci/seccomp_profile.h"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = runtime::v1;

// Every name the profile allows without conditions on arguments.
std::vector<std::string> Allowed(const json& profile) {
  std::vector<std::string> names;
  for (const json& rule : profile["syscalls"]) {
    if (rule["action"] != "SCMP_ACT_ALLOW" || rule.contains("args")) continue;
    for (const json& name : rule["names"]) names.push_back(name);
  }
  return names;
}

const json* RuleFor(const json& profile, const std::string& name) {
  for (const json& rule : profile["syscalls"]) {
    for (const json& n : rule["names"]) {
      if (n == name) return &rule;
    }
  }
  return nullptr;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(SeccompDefault, DeniesWithEpermAndCoversTheHostAbis) {
  const json profile = DefaultSeccompProfile({});
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["defaultErrnoRet"], 1);
#if defined(__x86_64__)
  EXPECT_EQ(profile["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
#endif
}

TEST(SeccompDefault, CapabilityGatedCallsNeedTheCapability) {
  const std::vector<std::string> plain = Allowed(DefaultSeccompProfile({"CAP_CHOWN", "CAP_KILL"}));
  EXPECT_THAT(plain, Contains("read"));
  EXPECT_THAT(plain, Contains("execve"));
  for (const char* denied : {"mount", "unshare", "setns", "ptrace", "reboot", "init_module", "chroot",
                             "keyctl", "io_uring_setup", "clone", "clone3"}) {
    EXPECT_THAT(plain, Not(Contains(denied))) << denied;
  }
  const std::vector<std::string> admin = Allowed(DefaultSeccompProfile({"CAP_SYS_ADMIN", "CAP_SYS_CHROOT"}));
  EXPECT_THAT(admin, Contains("mount"));
  EXPECT_THAT(admin, Contains("unshare"));
  EXPECT_THAT(admin, Contains("clone"));
  EXPECT_THAT(admin, Contains("chroot"));
  EXPECT_THAT(admin, Not(Contains("keyctl")));
}

TEST(SeccompDefault, CloneCannotCreateNamespacesAndClone3FallsBack) {
  const json profile = DefaultSeccompProfile({});
  const json* clone = RuleFor(profile, "clone");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ((*clone)["args"][0],
            json({{"index", 0}, {"value", 0x7E020000}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}}));
  const json* clone3 = RuleFor(profile, "clone3");
  ASSERT_NE(clone3, nullptr);
  EXPECT_EQ((*clone3)["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*clone3)["errnoRet"], 38);
  const json* socket = RuleFor(profile, "socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ((*socket)["args"][0]["op"], "SCMP_CMP_NE");
  EXPECT_EQ((*socket)["args"][0]["value"], 40);
}

TEST(SeccompResolve, DropsNamesNoArchitectureKnows) {
  json profile = {{"architectures", NativeSeccompArchitectures()},
                  {"syscalls",
                   {{{"names", {"read", "no_such_call"}}, {"action", "SCMP_ACT_ALLOW"}},
                    {{"names", {"also_unknown"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  EXPECT_THAT(DropUnknownSyscalls(profile), ElementsAre("also_unknown", "no_such_call"));
  EXPECT_EQ(profile["syscalls"], json({{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}}}));
#if defined(__x86_64__)
  // socketcall exists only on x86 (32-bit), which the architectures include.
  json x86 = DefaultSeccompProfile({});
  DropUnknownSyscalls(x86);
  EXPECT_THAT(Allowed(x86), Contains("socketcall"));
#endif
}

class SeccompSelect : public ::testing::Test {
 protected:
  void SetUp() override {
    input_.capabilities = {"CAP_CHOWN"};
    input_.profile_root = (dir_.path() / "profiles").string();
    input_.field = "config.linux.security_context";
  }
  absl::StatusOr<std::optional<json>> Select() { return SeccompForProcess(input_); }
  absl::StatusOr<std::optional<json>> Localhost(const std::string& ref) {
    profile_.set_profile_type(v1::SecurityProfile::Localhost);
    profile_.set_localhost_ref(ref);
    input_.profile = &profile_;
    return Select();
  }

  testing::TempDir dir_;
  v1::SecurityProfile profile_;
  SeccompInput input_;
};

TEST_F(SeccompSelect, UnsetAndUnconfinedMeanNone) {
  absl::StatusOr<std::optional<json>> none = Select();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  profile_.set_profile_type(v1::SecurityProfile::Unconfined);
  input_.profile = &profile_;
  none = Select();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(SeccompSelect, RuntimeDefaultUnlessPrivileged) {
  profile_.set_profile_type(v1::SecurityProfile::RuntimeDefault);
  input_.profile = &profile_;
  absl::StatusOr<std::optional<json>> profile = Select();
  ASSERT_TRUE(profile.ok());
  ASSERT_TRUE(profile->has_value());
  EXPECT_EQ((**profile)["defaultAction"], "SCMP_ACT_ERRNO");
  input_.privileged = true;
  profile = Select();
  ASSERT_TRUE(profile.ok());
  EXPECT_FALSE(profile->has_value());
}

TEST_F(SeccompSelect, DeprecatedPathForms) {
  for (const char* path : {"runtime/default", "docker/default"}) {
    input_.deprecated_path = path;
    absl::StatusOr<std::optional<json>> profile = Select();
    ASSERT_TRUE(profile.ok());
    EXPECT_TRUE(profile->has_value()) << path;
  }
  input_.deprecated_path = "unconfined";
  ASSERT_TRUE(Select().ok());
  EXPECT_FALSE(Select()->has_value());
  const std::string file = dir_.Write("profiles/p.json", R"({"defaultAction": "SCMP_ACT_ALLOW"})");
  input_.deprecated_path = "localhost/" + file;
  absl::StatusOr<std::optional<json>> local = Select();
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ((**local)["defaultAction"], "SCMP_ACT_ALLOW");
  input_.deprecated_path = "bogus";
  EXPECT_THAT(Message(Select().status()), HasSubstr("config.linux.security_context.seccomp_profile_path"));
}

TEST_F(SeccompSelect, LocalhostDockerFormat) {
  const std::string file = dir_.Write("profiles/app.json", R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "comment": "no dirs"},
      {"names": ["mount", "not_a_syscall"], "action": "SCMP_ACT_ERRNO",
       "includes": {"caps": ["CAP_CHOWN"]}},
      {"names": ["reboot"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_CHOWN"]}},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    ]})");
  absl::StatusOr<std::optional<json>> profile = Localhost(file);
  ASSERT_TRUE(profile.ok()) << profile.status();
  const json& p = **profile;
#if defined(__x86_64__)
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
#endif
  EXPECT_EQ(p["syscalls"][0], json({{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}));
  EXPECT_EQ(p["syscalls"][1]["names"], json({"mount"}));  // unknown name dropped
  EXPECT_EQ(RuleFor(p, "reboot"), nullptr);                 // excluded: CAP_CHOWN held
  EXPECT_EQ(p["syscalls"][2]["args"][0],
            json({{"index", 0}, {"value", 8}, {"valueTwo", 0}, {"op", "SCMP_CMP_EQ"}}));
}

TEST_F(SeccompSelect, LocalhostMustBeUnderTheRoot) {
  const std::string outside = dir_.Write("elsewhere/p.json", R"({"defaultAction": "SCMP_ACT_ALLOW"})");
  absl::StatusOr<std::optional<json>> profile = Localhost(outside);
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(profile.status()), HasSubstr("config.linux.security_context.seccomp.localhost_ref"));
  EXPECT_THAT(Message(profile.status()), HasSubstr("seccomp_profile_root"));
  EXPECT_EQ(Localhost(input_.profile_root + "/../elsewhere/p.json").status().code(),
            absl::StatusCode::kInvalidArgument);
  dir_.Write("profiles/.keep", "");
  ASSERT_EQ(symlink(outside.c_str(), (input_.profile_root + "/link.json").c_str()), 0);
  EXPECT_EQ(Localhost(input_.profile_root + "/link.json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Localhost("relative.json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Localhost(input_.profile_root + "/missing.json").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SeccompSelect, BadProfilesFailWithTheReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c : std::vector<Case>{
           {"{not json", "is not valid JSON"},
           {"[]", "must be a JSON object"},
           {R"({"syscalls": []})", "defaultAction is required"},
           {R"({"defaultAction": "SCMP_ACT_NOPE"})", "\"SCMP_ACT_NOPE\" is not a seccomp action"},
           {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})",
            "\"SCMP_ARCH_Z80\" is not a seccomp architecture"},
           {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})", "syscalls must be an array"},
           {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]})",
            "syscalls[0].names must name at least one syscall"},
           {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "KILL"}]})",
            "syscalls[0].action \"KILL\" is not a seccomp action"},
           {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]})",
            "syscalls[0].args[0].index must be an argument index from 0 to 5"},
           {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "op": "EQ"}]}]})",
            "syscalls[0].args[0].op must be one of"},
       }) {
    const std::string file = dir_.Write("profiles/bad.json", c.text);
    absl::StatusOr<std::optional<json>> profile = Localhost(file);
    EXPECT_EQ(profile.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(Message(profile.status()), HasSubstr(c.reason)) << c.text;
    EXPECT_THAT(Message(profile.status()), HasSubstr("config.linux.security_context.seccomp.localhost_ref"));
  }
}

TEST(Lsm, AppArmorLocalhostNeedsAppArmor) {
  v1::SecurityProfile apparmor;
  apparmor.set_profile_type(v1::SecurityProfile::Localhost);
  apparmor.set_localhost_ref("k8s-nginx");
  LsmInput input;
  input.apparmor = &apparmor;
  input.field = "config.linux.security_context";
  json process = json::object();
  absl::Status status = ApplyLsmOptions(input, process);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), HasSubstr("AppArmor is not enabled on this host"));
  input.host.apparmor = true;
  ASSERT_TRUE(ApplyLsmOptions(input, process).ok());
  EXPECT_EQ(process["apparmorProfile"], "k8s-nginx");
  input.privileged = true;
  input.host.apparmor = false;
  EXPECT_TRUE(ApplyLsmOptions(input, process).ok());
}

TEST(Lsm, DefaultsAndLabelsWithoutHostSupportAreIgnored) {
  v1::SecurityProfile apparmor;  // RuntimeDefault
  v1::SELinuxOption selinux;
  selinux.set_level("s0:c1,c2");
  LsmInput input;
  input.apparmor = &apparmor;
  input.selinux = &selinux;
  json process = json::object();
  EXPECT_TRUE(ApplyLsmOptions(input, process).ok());
  EXPECT_EQ(process, json::object());
  input.host.selinux = true;
  EXPECT_EQ(ApplyLsmOptions(input, process).code(), absl::StatusCode::kUnimplemented);
  input.apparmor = nullptr;
  input.selinux = nullptr;
  input.deprecated_apparmor = "localhost/x";
  EXPECT_EQ(ApplyLsmOptions(input, process).code(), absl::StatusCode::kFailedPrecondition);
  input.deprecated_apparmor = "whatever";
  EXPECT_EQ(ApplyLsmOptions(input, process).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cloison::oci
