#include "cloison/config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/config/serialize.h"
#include "test_tmpdir.h"

namespace cloison::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sources that ignore the host's /etc/cloison: an empty drop-in dir and no main file.
ConfigSources Isolated(const testing::TempDir& dir) {
  ConfigSources sources;
  std::filesystem::create_directories(dir.path() / "conf.d");
  sources.config_dir = (dir.path() / "conf.d").string();
  sources.config_file = dir.Write("main.toml", "");
  return sources;
}

TEST(ConfigLoader, EmbeddedDefaultsDeclareRuncAndRunsc) {
  testing::TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Isolated(dir));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->root, "/var/lib/cloison");
  EXPECT_EQ(config->state, "/run/cloison");
  EXPECT_EQ(config->listen, "/run/cloison/cloison.sock");
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->cgroup_driver, "cgroupfs");
  EXPECT_EQ(config->default_runtime, "runc");
  EXPECT_EQ(config->seccomp_profile_root, "/var/lib/kubelet/seccomp");
  EXPECT_EQ(config->network.cni_config_dir, "/etc/cni/net.d");
  ASSERT_EQ(config->runtimes.size(), 2u);
  const RuntimeHandler& runc = config->runtimes.at("runc");
  EXPECT_EQ(runc.runtime_path, "runc");
  EXPECT_EQ(runc.runtime_type, RuntimeType::kOci);
  EXPECT_EQ(runc.runtime_root, "/run/cloison/runtimes/runc");  // derived from state
  EXPECT_EQ(runc.sandbox_mode, SandboxMode::kAuto);
  EXPECT_TRUE(runc.direct_exec_sync);
  const RuntimeHandler& runsc = config->runtimes.at("runsc");
  EXPECT_EQ(runsc.sandbox_mode, SandboxMode::kInfra);
  EXPECT_FALSE(runsc.direct_exec_sync);
  EXPECT_TRUE(runsc.privileged_without_host_devices);
  EXPECT_EQ(runsc.runtime_args, std::vector<std::string>{"--network=host"});
}

TEST(ConfigLoader, DropInsMergeInLexicalOrderOverTheMainFile) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("main.toml", "log_level = \"warn\"\ncgroup_driver = \"systemd\"\n");
  dir.Write("conf.d/20-b.toml", "log_level = \"error\"\n[runtimes.runc]\nruntime_root = \"/b\"\n");
  dir.Write("conf.d/10-a.toml", "log_level = \"debug\"\n[runtimes.runc]\nruntime_root = \"/a\"\n");
  dir.Write("conf.d/30-kata.toml",
            "[runtimes.kata-qemu-virtiofs]\nruntime_path = \"/usr/bin/containerd-shim-kata-v2\"\n"
            "runtime_type = \"vm\"\nsandbox_mode = \"infra\"\n");
  dir.Write("conf.d/README", "not toml, ignored");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->log_level, "error");        // 20-b wins over 10-a and main
  EXPECT_EQ(config->cgroup_driver, "systemd");  // main file, untouched by drop-ins
  EXPECT_EQ(config->runtimes.at("runc").runtime_root, "/b");
  EXPECT_EQ(config->runtimes.at("runc").runtime_path, "runc");  // other keys kept
  EXPECT_TRUE(config->runtimes.at("runc").direct_exec_sync);
  const RuntimeHandler& kata = config->runtimes.at("kata-qemu-virtiofs");
  EXPECT_EQ(kata.runtime_type, RuntimeType::kVm);
  EXPECT_EQ(kata.sandbox_mode, SandboxMode::kInfra);
  EXPECT_EQ(kata.runtime_root, "/run/cloison/runtimes/kata-qemu-virtiofs");
}

TEST(ConfigLoader, VmHandlersGetAnInfraContainerUnlessTheySayOtherwise) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("conf.d/10-vm.toml",
            "[runtimes.kata]\nruntime_type = \"vm\"\n[runtimes.vm-auto]\nruntime_type = \"vm\"\nsandbox_mode = \"auto\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->runtimes.at("kata").sandbox_mode, SandboxMode::kInfra);
  EXPECT_EQ(config->runtimes.at("vm-auto").sandbox_mode, SandboxMode::kAuto);
  EXPECT_EQ(config->runtimes.at("runc").sandbox_mode, SandboxMode::kAuto);
}

TEST(ConfigLoader, DirectExecSyncIsAHandlerSwitch) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("conf.d/10-exec.toml",
            "[runtimes.runc]\ndirect_exec_sync = false\n[runtimes.crun]\ndirect_exec_sync = true\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->runtimes.at("runc").direct_exec_sync);
  EXPECT_TRUE(config->runtimes.at("crun").direct_exec_sync);
  dir.Write("conf.d/10-exec.toml", "[runtimes.runc]\ndirect_exec_sync = 1\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("runtimes.runc.direct_exec_sync"));
}

TEST(ConfigLoader, UnknownKeyNamesFileLineAndKey) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  const std::string file =
      dir.Write("conf.d/50-typo.toml", "# comment\n[runtimes.runc]\nruntime_path = \"runc\"\nruntme_root = \"/x\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), StartsWith(file + ":4: runtimes.runc.runtme_root"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("unknown key"));
}

TEST(ConfigLoader, UnknownTopLevelKeyIsRefused) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  const std::string file = dir.Write("main.toml", "root = \"/r\"\nlisten_addr = \"/x.sock\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith(file + ":2: listen_addr: unknown key"));
}

TEST(ConfigLoader, BadHandlerTypeIsRefusedWithItsLine) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  const std::string file =
      dir.Write("conf.d/kata.toml", "[runtimes.kata]\nruntime_type = \"shim\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith(file + ":2: runtimes.kata.runtime_type"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("\"shim\" is not a runtime type"));
}

TEST(ConfigLoader, WrongValueTypesAreRefused) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  const std::string file = dir.Write(
      "main.toml", "[runtimes.runc]\nprivileged_without_host_devices = \"yes\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith(file + ":2: runtimes.runc.privileged_without_host_devices: expected true or false"));

  dir.Write("main.toml", "shutdown_timeout = 0\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(":1: shutdown_timeout: must be between"));

  dir.Write("main.toml", "cgroup_driver = \"cgroupv3\"\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(":1: cgroup_driver: \"cgroupv3\" is not a cgroup driver"));

  dir.Write("main.toml", "[runtimes.\"Bad_Name\"]\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("runtimes.Bad_Name: \"Bad_Name\" is not a handler name"));
}

TEST(ConfigLoader, SyntaxErrorNamesTheFile) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  const std::string file = dir.Write("main.toml", "root = \n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith(file + ": invalid TOML"));
}

TEST(ConfigLoader, TextThatIsNotUtf8IsRefusedWithItsLine) {
  // toml11 lets such strings through; the verbose Status's JSON dump() then threw on them.
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  const std::string file = dir.Write("conf.d/10-bad.toml", "log_level = \"info\"\nroot = \"/var/lib/\xff\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), StartsWith(file + ":2: invalid TOML: not valid UTF-8"));
  Config keys;
  EXPECT_FALSE(ApplyTomlDocument("[registries.\"r\xc3.io\"]\ninsecure = true\n", "d.toml", keys).ok());
  Config accepted;
  ASSERT_TRUE(ApplyTomlDocument("root = \"/var/lib/caf\xc3\xa9\" # \xe2\x9c\x93\n", "d.toml", accepted).ok());
  EXPECT_EQ(accepted.root, "/var/lib/caf\xc3\xa9");
  EXPECT_NO_THROW(ToJson(accepted).dump());
}

TEST(ConfigLoader, DeepNestingIsRefusedBeforeItOverflowsTheParser) {
  // toml11 recursed once per "[": twenty thousand of them overflowed the stack.
  Config config;
  const absl::Status deep = ApplyTomlDocument(
      "# [[[\nimage.search_registries = " + std::string(20000, '[') + std::string(20000, ']') + "\n", "d.toml", config);
  EXPECT_EQ(deep.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(deep.message()), StartsWith("d.toml:2: invalid TOML: arrays and inline tables nest deeper"));
  const absl::Status tables = ApplyTomlDocument("x = " + std::string(100, '{') + "\n", "d.toml", config);
  EXPECT_THAT(std::string(tables.message()), HasSubstr("nest deeper than 64 levels"));
  // Brackets inside strings and comments do not count.
  const std::string quoted(100, '[');
  const std::string text = "root = \"/" + quoted + "\\\"\"  # " + quoted + "\nstate = '/" + quoted +
                           "'\n[network]\ncni_plugin_dirs = [\"\"\"/" + quoted + "\n\"\"\", '''/" + quoted + "''']\n";
  const absl::Status quoted_status = ApplyTomlDocument(text, "d.toml", config);
  ASSERT_TRUE(quoted_status.ok()) << quoted_status;
  EXPECT_EQ(config.root, "/" + quoted + "\"");
  EXPECT_EQ(config.network.cni_plugin_dirs.size(), 2u);
}

TEST(ConfigLoader, SeccompProfileRootMustBeAbsolute) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("main.toml", "seccomp_profile_root = \"seccomp\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("seccomp_profile_root"));
}

TEST(ConfigLoader, DefaultRuntimeMustNameAHandler) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("main.toml", "default_runtime = \"crun\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("default_runtime: \"crun\" names no [runtimes.crun]"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("runc, runsc"));
}

TEST(ConfigLoader, UntrustedWorkloadRuntimeIsNoneOrAHandler) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->untrusted_workload_runtime, "");  // none by default

  dir.Write("conf.d/50-untrusted.toml", "untrusted_workload_runtime = \"runsc\"\n");
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->untrusted_workload_runtime, "runsc");

  dir.Write("conf.d/60-bad.toml", "untrusted_workload_runtime = \"kata\"\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("untrusted_workload_runtime: \"kata\" names no [runtimes.kata] table"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("runc, runsc"));

  dir.Write("conf.d/60-bad.toml", "untrusted_workload_runtime = true\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(":1: untrusted_workload_runtime: expected a string"));
}

TEST(ConfigLoader, FlagsOverrideEveryFile) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("main.toml", "listen = \"/file.sock\"\nroot = \"/file-root\"\nlog_level = \"warn\"\n");
  dir.Write("conf.d/a.toml", "state = \"/file-state\"\n");
  sources.listen = "unix:///tmp/flag.sock";
  sources.root = "/flag-root";
  sources.state = "/flag-state";
  sources.log_level = "debug";
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "/tmp/flag.sock");
  EXPECT_EQ(config->root, "/flag-root");
  EXPECT_EQ(config->state, "/flag-state");
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->runtimes.at("runc").runtime_root, "/flag-state/runtimes/runc");
}

TEST(ConfigLoader, BadFlagValuesNameTheFlag) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  sources.log_level = "loud";
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith("--log-level: \"loud\""));

  sources.log_level.reset();
  sources.listen = "tcp://127.0.0.1:1234";
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith("--listen:"));

  sources.listen.reset();
  sources.root = "relative/root";
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith("--root: \"relative/root\" is not an absolute path"));
}

TEST(ConfigLoader, MissingExplicitFileOrDirIsAnError) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  sources.config_file = (dir.path() / "absent.toml").string();
  EXPECT_EQ(LoadConfig(sources).status().code(), absl::StatusCode::kNotFound);
  sources = Isolated(dir);
  sources.config_dir = (dir.path() / "absent.d").string();
  EXPECT_EQ(LoadConfig(sources).status().code(), absl::StatusCode::kNotFound);
}

TEST(ConfigLoader, StreamingAddressAndPort) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->streaming.address, "127.0.0.1");
  EXPECT_EQ(config->streaming.port, 0);

  dir.Write("conf.d/30-streaming.toml", "[streaming]\naddress = \"::1\"\nport = 10010\n");
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->streaming.address, "::1");
  EXPECT_EQ(config->streaming.port, 10010);

  dir.Write("conf.d/30-streaming.toml", "[streaming]\naddress = \"localhost\"\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("30-streaming.toml:2: streaming.address: \"localhost\" is not an IP address"));

  dir.Write("conf.d/30-streaming.toml", "[streaming]\nport = 70000\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("streaming.port: must be between 0 and 65535"));
}

TEST(ConfigLoader, StreamingIdleTimeout) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->streaming.idle_timeout, 14400);  // 4 h, containerd's and CRI-O's default

  dir.Write("conf.d/30-streaming.toml", "[streaming]\nidle_timeout = 0\n");
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->streaming.idle_timeout, 0);

  dir.Write("conf.d/30-streaming.toml", "[streaming]\nidle_timeout = -1\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("30-streaming.toml:2: streaming.idle_timeout: must be between 0 and 604800"));
}

TEST(ConfigLoader, CniPluginTimeout) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network.plugin_timeout, 60);

  dir.Write("conf.d/30-network.toml", "[network]\nplugin_timeout = 5\n");
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network.plugin_timeout, 5);
  EXPECT_EQ(config->network.cni_config_dir, "/etc/cni/net.d");  // the other keys stay

  dir.Write("conf.d/30-network.toml", "[network]\nplugin_timeout = 0\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("30-network.toml:2: network.plugin_timeout: must be between 1 and 3600"));
}

TEST(ConfigLoader, ImageAndRegistrySettings) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("conf.d/20-reg.toml",
            "[image]\nsearch_registries = [\"127.0.0.1:5000\", \"docker.io\"]\n"
            "max_concurrent_downloads = 5\n"
            "[registries.\"docker.io\"]\nmirrors = [\"http://127.0.0.1:5001\"]\ntimeout = 7\n"
            "[registries.\"quay.io\"]\ninsecure = true\nca_file = \"/etc/ca.pem\"\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->image.search_registries, (std::vector<std::string>{"127.0.0.1:5000", "docker.io"}));
  EXPECT_EQ(config->image.max_concurrent_downloads, 5);
  const RegistryConfig& docker = config->image.registries.at("docker.io");
  EXPECT_EQ(docker.mirrors, std::vector<std::string>{"http://127.0.0.1:5001"});
  EXPECT_EQ(docker.timeout, 7);
  EXPECT_FALSE(docker.insecure);
  EXPECT_TRUE(config->image.registries.at("quay.io").insecure);
  EXPECT_EQ(config->image.registries.at("quay.io").timeout, 30);  // default

  const std::string bad = dir.Write("conf.d/30-bad.toml", "[registries.\"x.io\"]\nmirror = []\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith(bad + ":2: registries.\"x.io\".mirror: unknown key"));
}

TEST(ConfigLoader, PinnedImagesAreEmptyByDefaultAndValidatedEntryByEntry) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->image.pinned_images.empty());  // cloison pulls no pause image to pin

  dir.Write("conf.d/30-pin.toml",
            "[image]\npinned_images = [\"registry.k8s.io/pause:3.10\", \"quay.io/infra/*\", \"*agent*\"]\n");
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->image.pinned_images,
            (std::vector<std::string>{"registry.k8s.io/pause:3.10", "quay.io/infra/*", "*agent*"}));

  const std::string bad =
      dir.Write("conf.d/30-pin.toml", "[image]\npinned_images = [\n  \"quay.io/ok\",\n  \"quay.io/*/x\",\n]\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith(bad + ":4: image.pinned_images: entry \"quay.io/*/x\" has a '*' inside"));

  dir.Write("conf.d/30-pin.toml", "[image]\npinned_images = [\"*\"]\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("image.pinned_images: entry \"*\" matches every image"));

  dir.Write("conf.d/30-pin.toml", "[image]\npinned_images = \"quay.io/app\"\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("image.pinned_images: expected an array of strings"));
}

TEST(ConfigLoader, CdiSettings) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->cdi.enabled);
  EXPECT_EQ(config->cdi.spec_dirs, (std::vector<std::string>{"/etc/cdi", "/var/run/cdi"}));

  dir.Write("conf.d/30-cdi.toml", "[cdi]\nenabled = false\nspec_dirs = [\"/opt/cdi\"]\n");
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->cdi.enabled);
  EXPECT_EQ(config->cdi.spec_dirs, std::vector<std::string>{"/opt/cdi"});

  dir.Write("conf.d/30-cdi.toml", "[cdi]\nspec_dirs = [\"relative/cdi\"]\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("30-cdi.toml:2: cdi.spec_dirs:"));

  dir.Write("conf.d/30-cdi.toml", "[cdi]\nenable = true\n");
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("cdi.enable: unknown key"));
}

TEST(ConfigSerialize, TomlOutputLoadsBackToTheSameConfig) {
  testing::TempDir dir;
  ConfigSources sources = Isolated(dir);
  dir.Write("conf.d/x.toml",
            "untrusted_workload_runtime = \"runsc\"\n"
            "[runtimes.crun]\nruntime_path = \"/usr/bin/crun\"\nruntime_args = [\"--debug\", \"a\\\"b\"]\n"
            "allowed_annotations = [\"io.x/*\"]\n"
            "[registries.\"127.0.0.1:5000\"]\nmirrors = [\"a\", \"b\"]\ninsecure = true\n"
            "[image]\npinned_images = [\"quay.io/app:1\", \"*pause*\"]\n"
            "[cdi]\nenabled = false\nspec_dirs = [\"/a\", \"/b\"]\n");
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  Config reloaded;
  ASSERT_TRUE(ApplyTomlDocument(ToToml(*config), "printed", reloaded).ok());
  EXPECT_EQ(reloaded, *config);
}

TEST(ConfigSerialize, JsonHasEveryHandler) {
  testing::TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Isolated(dir));
  ASSERT_TRUE(config.ok()) << config.status();
  const nlohmann::json json = ToJson(*config);
  EXPECT_EQ(json["default_runtime"], "runc");
  EXPECT_EQ(json["untrusted_workload_runtime"], "");
  EXPECT_EQ(json["runtimes"]["runsc"]["runtime_args"][0], "--network=host");
  EXPECT_EQ(json["runtimes"]["runc"]["runtime_type"], "oci");
  EXPECT_EQ(json["network"]["cni_config_dir"], "/etc/cni/net.d");
  EXPECT_EQ(json["cdi"]["spec_dirs"][1], "/var/run/cdi");
  EXPECT_EQ(json["image"]["pinned_images"], nlohmann::json::array());
}

}  // namespace
}  // namespace cloison::config
