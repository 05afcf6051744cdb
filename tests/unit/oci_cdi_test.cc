// CDI: qualified names, spec files (JSON and YAML), the registry over spec directories and the
// edits applied to a container's spec by BuildContainerSpec.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>
#include <vector>

#include "cloison/oci/cdi_edits.h"
#include "cloison/oci/cdi_inject.h"
#include "cloison/oci/cdi_name.h"
#include "cloison/oci/cdi_registry.h"
#include "cloison/oci/cdi_spec.h"
#include "cloison/oci/spec_builder.h"
#include "test_tmpdir.h"

namespace cloison::oci {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = runtime::v1;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(CdiName, QualifiedNamesFollowTheSpecSyntax) {
  absl::StatusOr<CdiName> name = ParseCdiQualifiedName("vendor.com/gpu=GPU-1a:0");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->vendor, "vendor.com");
  EXPECT_EQ(name->device_class, "gpu");
  EXPECT_EQ(name->name, "GPU-1a:0");
  EXPECT_TRUE(ParseCdiQualifiedName("a_b-c.d/class.sub=0").ok());
  EXPECT_TRUE(ParseCdiQualifiedName("vendor.com/gpu=all").ok());
  for (const char* bad : {"gpu0", "vendor.com/gpu", "vendor.com/=x", "/gpu=x", "1vendor.com/gpu=x", "vendor.com-/gpu=x",
                          "vendor.com/gpu=-x", "vendor.com/gpu=x.", "vendor.com/g pu=x", "vendor.com/a/b=x",
                          "vendor.com/gpu=a=b", "vendor.com/gpu="}) {
    absl::StatusOr<CdiName> parsed = ParseCdiQualifiedName(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(Message(parsed.status()), HasSubstr(bad));
  }
}

const char* const kJsonSpec = R"({
  "cdiVersion": "0.6.0",
  "kind": "vendor.com/gpu",
  "annotations": {"origin": "test"},
  "containerEdits": {"env": ["VENDOR_LIB=/opt/vendor"]},
  "devices": [
    {"name": "0",
     "containerEdits": {
       "env": ["GPU=0"],
       "deviceNodes": [{"path": "/dev/gpu0", "hostPath": "/dev/null", "permissions": "rw", "fileMode": 432,
                        "uid": 1, "gid": 2}],
       "mounts": [{"hostPath": "/opt/lib", "containerPath": "/usr/lib/vendor", "type": "bind",
                   "options": ["ro", "rbind"]}],
       "hooks": [{"hookName": "createContainer", "path": "/usr/bin/vendor-hook", "args": ["vendor-hook", "x"],
                  "env": ["A=b"], "timeout": 5}],
       "additionalGids": [44]
     }}
  ]
})";

const char* const kYamlSpec = R"(cdiVersion: 0.6.0
kind: vendor.com/gpu
annotations:
  origin: test
containerEdits:
  env:
  - VENDOR_LIB=/opt/vendor
devices:
- name: "0"
  containerEdits:
    env: [GPU=0]
    deviceNodes:
    - path: /dev/gpu0
      hostPath: /dev/null
      permissions: rw
      fileMode: 0660
      uid: 1
      gid: 2
    mounts:
    - hostPath: /opt/lib
      containerPath: /usr/lib/vendor
      type: bind
      options: [ro, rbind]
    hooks:
    - hookName: createContainer
      path: /usr/bin/vendor-hook
      args: [vendor-hook, x]
      env: ["A=b"]
      timeout: 5
    additionalGids: [44]
)";

void ExpectTheGpuSpec(const CdiSpec& spec) {
  EXPECT_EQ(spec.version, "0.6.0");
  EXPECT_EQ(spec.vendor, "vendor.com");
  EXPECT_EQ(spec.device_class, "gpu");
  EXPECT_EQ(spec.edits.env, std::vector<std::string>{"VENDOR_LIB=/opt/vendor"});
  ASSERT_EQ(spec.devices.size(), 1u);
  const CdiContainerEdits& edits = spec.devices.at("0");
  EXPECT_EQ(edits.env, std::vector<std::string>{"GPU=0"});
  ASSERT_EQ(edits.device_nodes.size(), 1u);
  const CdiDeviceNode& node = edits.device_nodes[0];
  EXPECT_EQ(node.path, "/dev/gpu0");
  EXPECT_EQ(node.host_path, "/dev/null");
  EXPECT_EQ(node.permissions, "rw");
  EXPECT_EQ(node.file_mode, 0660u);
  EXPECT_EQ(node.uid, 1u);
  EXPECT_EQ(node.gid, 2u);
  ASSERT_EQ(edits.mounts.size(), 1u);
  EXPECT_EQ(edits.mounts[0].container_path, "/usr/lib/vendor");
  EXPECT_EQ(edits.mounts[0].options, (std::vector<std::string>{"ro", "rbind"}));
  ASSERT_EQ(edits.hooks.size(), 1u);
  EXPECT_EQ(edits.hooks[0].hook_name, "createContainer");
  EXPECT_EQ(edits.hooks[0].args, (std::vector<std::string>{"vendor-hook", "x"}));
  EXPECT_EQ(edits.hooks[0].timeout, 5);
  EXPECT_EQ(edits.additional_gids, std::vector<uint32_t>{44});
}

TEST(CdiSpec, JsonAndYamlReadTheSame) {
  absl::StatusOr<CdiSpec> from_json = ParseCdiSpec(kJsonSpec, "/etc/cdi/gpu.json");
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  ExpectTheGpuSpec(*from_json);
  absl::StatusOr<CdiSpec> from_yaml = ParseCdiSpec(kYamlSpec, "/etc/cdi/gpu.yaml");
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status();
  ExpectTheGpuSpec(*from_yaml);
  // JSON is YAML: a .yaml file may hold JSON.
  absl::StatusOr<CdiSpec> json_in_yaml = ParseCdiSpec(kJsonSpec, "/etc/cdi/gpu.yaml");
  ASSERT_TRUE(json_in_yaml.ok()) << json_in_yaml.status();
  ExpectTheGpuSpec(*json_in_yaml);
}

std::string MinimalSpec(const std::string& version, const std::string& extra = "") {
  return R"({"cdiVersion": ")" + version + R"(", "kind": "vendor.com/x", "devices": [{"name": "a",
    "containerEdits": {"env": ["A=1"]}}])" + extra + "}";
}

TEST(CdiSpec, VersionsFromTheSpecAreAcceptedOthersRefused) {
  for (const char* version : {"0.3.0", "0.5.0", "0.7.0", "0.8.0", "0.6.1"}) {
    EXPECT_TRUE(ParseCdiSpec(MinimalSpec(version), "x.json").ok()) << version;
  }
  for (const char* version : {"1.0.0", "2.0.0", "0.2.0", "0.9.0", "0.8", "latest", ""}) {
    absl::StatusOr<CdiSpec> spec = ParseCdiSpec(MinimalSpec(version), "x.json");
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << version;
    EXPECT_THAT(Message(spec.status()), HasSubstr("x.json: cdiVersion")) << version;
  }
}

TEST(CdiSpec, InvalidSpecsNameTheFileAndField) {
  struct Case {
    std::string text, message;
  };
  const std::vector<Case> cases = {
      {MinimalSpec("0.6.0", R"(, "unknown": 1)"), "unknown: unknown field"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": []})", "devices: a spec needs at least one device"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor", "devices": [{"name": "a", "containerEdits": {"env": ["A=1"]}}]})",
       "kind:"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a"}]})",
       "devices[0].containerEdits: a device needs at least one edit"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits": {"env": ["A=1"]}},
          {"name": "a", "containerEdits": {"env": ["A=2"]}}]})",
       "devices[1].name: device \"a\" is defined twice"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "-a", "containerEdits": {"env": ["A"]}}]})",
       "devices[0].name"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits": {"env": ["A"]}}]})",
       "devices[0].containerEdits.env: \"A\" is not NAME=VALUE"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits":
          {"deviceNodes": [{"path": "/dev/x", "type": "z"}]}}]})",
       "devices[0].containerEdits.deviceNodes[0].type"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits":
          {"deviceNodes": [{"path": "/dev/x", "permissions": "rwx"}]}}]})",
       "deviceNodes[0].permissions"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits":
          {"mounts": [{"hostPath": "/x"}]}}]})",
       "mounts[0].containerPath: required"},
      {R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits":
          {"hooks": [{"hookName": "preStart", "path": "/x"}]}}]})",
       "hooks[0].hookName: \"preStart\" is not an OCI hook"},
      {"{not json", "invalid JSON"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CdiSpec> spec = ParseCdiSpec(c.text, "/etc/cdi/bad.json");
    ASSERT_FALSE(spec.ok()) << c.text;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(spec.status()), HasSubstr("/etc/cdi/bad.json: ")) << c.text;
    EXPECT_THAT(Message(spec.status()), HasSubstr(c.message)) << c.text;
  }
  absl::StatusOr<CdiSpec> yaml = ParseCdiSpec("kind: [unclosed", "/etc/cdi/bad.yaml");
  EXPECT_THAT(Message(yaml.status()), HasSubstr("/etc/cdi/bad.yaml: invalid YAML"));
}

TEST(CdiSpec, YamlStringsThatAreNotUtf8AreRefused) {
  // A YAML scalar holds any bytes; such a string used to reach the spec and make its dump() throw
  // (here already the error message's dump of a bad gid).
  const std::string text =
      "cdiVersion: 0.6.0\nkind: vendor.com/x\ndevices:\n  - name: a\n    containerEdits:\n"
      "      env: [\"A=\xff\"]\n      additionalGids: [\"\xc3\"]\n";
  absl::StatusOr<CdiSpec> spec = ParseCdiSpec(text, "/etc/cdi/bad.yaml");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(spec.status()), HasSubstr("/etc/cdi/bad.yaml: invalid YAML: the string \"A=\\xff\" is not valid UTF-8"));
  absl::StatusOr<CdiSpec> key = ParseCdiSpec("cdiVersion: 0.6.0\n\xe2\x28: 1\n", "/etc/cdi/bad.yaml");
  EXPECT_THAT(Message(key.status()), HasSubstr("is not valid UTF-8"));
  absl::StatusOr<CdiSpec> fine = ParseCdiSpec(
      "cdiVersion: 0.6.0\nkind: vendor.com/x\ndevices: [{name: a, containerEdits: {env: [\"A=caf\xc3\xa9\"]}}]\n",
      "/etc/cdi/ok.yaml");
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_THAT(fine->devices.at("a").env, ElementsAre("A=caf\xc3\xa9"));
}

TEST(CdiSpec, YamlAliasesCannotExpandWithoutBound) {
  // Nine levels of nine aliases: 9^9 nodes once expanded; and a node that holds itself.
  std::string bomb = "cdiVersion: 0.6.0\nkind: vendor.com/x\na0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 10; ++level) {
    const std::string previous = "*a" + std::to_string(level - 1);
    bomb += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [" + previous;
    for (int i = 1; i < 9; ++i) bomb += ", " + previous;
    bomb += "]\n";
  }
  absl::StatusOr<CdiSpec> spec = ParseCdiSpec(bomb, "/etc/cdi/bomb.yaml");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(spec.status()), HasSubstr("/etc/cdi/bomb.yaml: invalid YAML: larger than"));
  absl::StatusOr<CdiSpec> loop = ParseCdiSpec("cdiVersion: 0.6.0\nloop: &l [*l]\n", "/etc/cdi/loop.yaml");
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CdiSpec, DeeplyNestedBadGidIsNamedWithoutDumpingIt) {
  // The message used to dump() the entry, recursively: 200000 nested arrays overflowed the stack.
  const std::string text = R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a",
    "containerEdits": {"additionalGids": [)" + std::string(200000, '[') + std::string(200000, ']') + "]}}]}";
  absl::StatusOr<CdiSpec> spec = ParseCdiSpec(text, "/etc/cdi/deep.json");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(spec.status()), HasSubstr("containerEdits.additionalGids: array is not a group id"));
  absl::StatusOr<CdiSpec> negative = ParseCdiSpec(
      R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": "a", "containerEdits": {"additionalGids": [-5]}}]})",
      "/etc/cdi/neg.json");
  EXPECT_THAT(Message(negative.status()), HasSubstr("additionalGids: -5 is not a group id"));
}

std::string EnvSpec(const std::string& device, const std::string& value) {
  return R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [{"name": ")" + device +
         R"(", "containerEdits": {"env": ["FROM=)" + value + R"("]}}]})";
}

TEST(CdiRegistry, LaterDirectoriesOverrideEarlierOnes) {
  testing::TempDir dir;
  dir.Write("etc/a.json", EnvSpec("a", "etc"));
  dir.Write("etc/b.yaml", "cdiVersion: 0.6.0\nkind: vendor.com/x\ndevices:\n- name: b\n  containerEdits:\n"
                          "    env: [FROM=etc-yaml]\n");
  dir.Write("etc/ignored.txt", EnvSpec("c", "txt"));
  dir.Write("run/a.json", EnvSpec("a", "run"));
  const CdiRegistry registry =
      CdiRegistry::Load({(dir.path() / "etc").string(), (dir.path() / "run").string(), "/nonexistent/cdi"});
  EXPECT_TRUE(registry.errors().empty());
  ASSERT_NE(registry.Find("vendor.com/x=a"), nullptr);
  EXPECT_EQ(registry.Find("vendor.com/x=a")->edits->env, std::vector<std::string>{"FROM=run"});
  ASSERT_NE(registry.Find("vendor.com/x=b"), nullptr);
  EXPECT_EQ(registry.Find("vendor.com/x=b")->edits->env, std::vector<std::string>{"FROM=etc-yaml"});
  EXPECT_EQ(registry.Find("vendor.com/x=c"), nullptr);  // only *.json and *.yaml are read
}

TEST(CdiRegistry, BadSpecIsSkippedAndSameDirectoryConflictsDropTheDevice) {
  testing::TempDir dir;
  dir.Write("etc/0-bad.json", R"({"cdiVersion": "0.6.0", "kind": "vendor.com/x", "devices": [}])");
  dir.Write("etc/1-good.json", EnvSpec("good", "1"));
  dir.Write("etc/2-twice.json", EnvSpec("twice", "2"));
  dir.Write("etc/3-twice.json", EnvSpec("twice", "3"));
  const CdiRegistry registry = CdiRegistry::Load({(dir.path() / "etc").string()});
  EXPECT_NE(registry.Find("vendor.com/x=good"), nullptr);
  EXPECT_EQ(registry.Find("vendor.com/x=twice"), nullptr);
  ASSERT_EQ(registry.errors().size(), 2u);
  EXPECT_THAT(registry.errors()[0], HasSubstr("0-bad.json: invalid JSON"));
  EXPECT_THAT(registry.errors()[1], HasSubstr("vendor.com/x=twice is defined by both"));
}

TEST(CdiEdits, EnvMountsAndDevicesReplaceWhatIsThere) {
  json spec = {{"process", {{"env", {"PATH=/bin", "GPU=old"}}, {"user", {{"uid", 1000}, {"gid", 1000}}}}},
               {"mounts", json::array({{{"destination", "/proc"}}, {{"destination", "/usr/lib/vendor"}, {"source", "/old"}}})},
               {"linux", {{"devices", json::array({{{"path", "/dev/gpu0"}, {"type", "c"}}})},
                          {"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}}}}};
  CdiContainerEdits edits;
  edits.env = {"GPU=0", "NEW=1"};
  edits.device_nodes = {{"/dev/gpu0", "/dev/null", "", 0, 0, std::nullopt, "", std::nullopt, std::nullopt},
                        {"/dev/quiet", "/dev/zero", "c", 0, 0, 0600u, "none", 5u, std::nullopt}};
  edits.mounts = {{"/opt/lib", "/usr/lib/vendor", "", {"rbind", "ro"}}, {"/opt/a", "/a", "bind", {}}};
  edits.hooks = {{"poststop", "/bin/true", {}, {}, std::nullopt}};
  edits.additional_gids = {0, 44, 44};
  ASSERT_TRUE(ApplyCdiEdits(edits, "vendor.com/gpu=0", spec).ok());

  EXPECT_EQ(spec["process"]["env"], json({"PATH=/bin", "GPU=0", "NEW=1"}));
  struct stat null_node {};
  ASSERT_EQ(stat("/dev/null", &null_node), 0);
  struct stat zero_node {};
  ASSERT_EQ(stat("/dev/zero", &zero_node), 0);
  EXPECT_EQ(spec["linux"]["devices"],
            json({{{"path", "/dev/gpu0"}, {"type", "c"}, {"major", major(null_node.st_rdev)},
                   {"minor", minor(null_node.st_rdev)}, {"uid", 1000}, {"gid", 1000}},
                  {{"path", "/dev/quiet"}, {"type", "c"}, {"major", major(zero_node.st_rdev)},
                   {"minor", minor(zero_node.st_rdev)}, {"fileMode", 0600}, {"uid", 5}, {"gid", 1000}}}));
  // "none" adds no rule; the other node gets rwm.
  EXPECT_EQ(spec["linux"]["resources"]["devices"],
            json({{{"allow", false}, {"access", "rwm"}},
                  {{"allow", true}, {"type", "c"}, {"major", major(null_node.st_rdev)},
                   {"minor", minor(null_node.st_rdev)}, {"access", "rwm"}}}));
  // The mount at /usr/lib/vendor is replaced; parents sort before children.
  EXPECT_EQ(spec["mounts"],
            json({{{"destination", "/proc"}},
                  {{"destination", "/a"}, {"source", "/opt/a"}, {"type", "bind"}},
                  {{"destination", "/usr/lib/vendor"}, {"source", "/opt/lib"}, {"options", {"rbind", "ro"}}}}));
  EXPECT_EQ(spec["hooks"]["poststop"], json({{{"path", "/bin/true"}}}));
  EXPECT_EQ(spec["process"]["user"]["additionalGids"], json({44}));
}

TEST(CdiEdits, HostNodeMustExistAndMatchTheType) {
  json spec = {{"process", {{"user", {{"uid", 0}, {"gid", 0}}}}}};
  CdiContainerEdits edits;
  edits.device_nodes = {{"/dev/x", "/nonexistent/dev", "", 0, 0, std::nullopt, "", std::nullopt, std::nullopt}};
  absl::Status missing = ApplyCdiEdits(edits, "vendor.com/x=a", spec);
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(missing), HasSubstr("CDI device vendor.com/x=a: host device node /nonexistent/dev"));
  edits.device_nodes[0].host_path = "/dev/null";
  edits.device_nodes[0].type = "b";
  absl::Status mismatch = ApplyCdiEdits(edits, "vendor.com/x=a", spec);
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(mismatch), HasSubstr("has type \"b\""));
}

// BuildContainerSpec with CDI devices from the request and the annotations.
class CdiInSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    dir_.Write("rootfs/etc/group", "root:x:0:\n");
    dir_.Write("cdi/test.json", R"({"cdiVersion": "0.5.0", "kind": "cloison.test/dev",
      "containerEdits": {"env": ["SPEC_LEVEL=1"]},
      "devices": [
        {"name": "zero", "containerEdits": {"deviceNodes": [{"path": "/dev/cloison-test-dev", "hostPath": "/dev/zero",
                                                              "permissions": "r"}]}},
        {"name": "env", "containerEdits": {"env": ["FROM_ANNOTATION=yes"], "additionalGids": [1234]}}
      ]})");
    pod_.mutable_metadata()->set_name("pod");
    config_.mutable_metadata()->set_name("app");
    config_.add_command("/bin/app");
    input_.container_id = std::string(64, 'c');
    input_.sandbox_id = std::string(64, 'a');
    input_.config = &config_;
    input_.sandbox_config = &pod_;
    input_.rootfs = (dir_.path() / "rootfs").string();
    input_.cdi_enabled = true;
    input_.cdi_spec_dirs = {(dir_.path() / "cdi").string()};
  }

  testing::TempDir dir_;
  v1::PodSandboxConfig pod_;
  v1::ContainerConfig config_;
  ContainerSpecInput input_;
};

TEST_F(CdiInSpec, RequestedAndAnnotatedDevicesAreApplied) {
  config_.add_cdi_devices()->set_name("cloison.test/dev=zero");
  (*config_.mutable_annotations())["cdi.k8s.io/test"] = "cloison.test/dev=env,cloison.test/dev=zero";
  absl::StatusOr<json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  struct stat zero {};
  ASSERT_EQ(stat("/dev/zero", &zero), 0);
  EXPECT_THAT((*spec)["linux"]["devices"],
              Contains(json({{"path", "/dev/cloison-test-dev"}, {"type", "c"}, {"major", major(zero.st_rdev)},
                             {"minor", minor(zero.st_rdev)}})));
  EXPECT_THAT((*spec)["linux"]["resources"]["devices"],
              Contains(json({{"allow", true}, {"type", "c"}, {"major", major(zero.st_rdev)},
                             {"minor", minor(zero.st_rdev)}, {"access", "r"}})));
  const std::vector<std::string> env = (*spec)["process"]["env"];
  EXPECT_THAT(env, Contains("SPEC_LEVEL=1"));
  EXPECT_THAT(env, Contains("FROM_ANNOTATION=yes"));
  EXPECT_EQ(std::count(env.begin(), env.end(), "SPEC_LEVEL=1"), 1);  // spec-level edits once
  EXPECT_THAT((*spec)["process"]["user"]["additionalGids"], Contains(1234));
}

TEST_F(CdiInSpec, NoRequestNoEdits) {
  absl::StatusOr<json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT((*spec)["process"]["env"], Not(Contains("SPEC_LEVEL=1")));
}

TEST_F(CdiInSpec, UnknownAndMalformedDevicesAreRefused) {
  config_.add_cdi_devices()->set_name("cloison.test/dev=zero");
  config_.add_cdi_devices()->set_name("cloison.test/dev=missing");
  absl::StatusOr<json> spec = BuildContainerSpec(input_);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(spec.status()), HasSubstr("config.CDI_devices[1].name: CDI device \"cloison.test/dev=missing\""));

  config_.clear_cdi_devices();
  (*config_.mutable_annotations())["cdi.k8s.io/x"] = "not-qualified";
  spec = BuildContainerSpec(input_);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(spec.status()), HasSubstr("config.annotations[cdi.k8s.io/x]: CDI device \"not-qualified\""));
}

TEST_F(CdiInSpec, DisabledRefusesRequestsAndIgnoresAnnotations) {
  input_.cdi_enabled = false;
  (*config_.mutable_annotations())["cdi.k8s.io/test"] = "cloison.test/dev=env";
  absl::StatusOr<json> spec = BuildContainerSpec(input_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT((*spec)["process"]["env"], Not(Contains("FROM_ANNOTATION=yes")));
  config_.add_cdi_devices()->set_name("cloison.test/dev=zero");
  spec = BuildContainerSpec(input_);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(spec.status()), HasSubstr("config.CDI_devices"));
}

}  // namespace
}  // namespace cloison::oci
