// Keeps the runtime handler kit (runtime-handlers/) and the systemd unit honest: every
// drop-in must load with cloison's own loader and declare the handler its directory is named
// after, and every RuntimeClass must point at that handler.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cloison/config/loader.h"
#include "test_tmpdir.h"

namespace cloison::config {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = CLOISON_SOURCE_DIR;
const fs::path kKitDir = kSourceDir / "runtime-handlers";

// Every handler the kit ships, with the runtime type its drop-in must declare.
const std::map<std::string, RuntimeType>& ExpectedHandlers() {
  static const std::map<std::string, RuntimeType> handlers = {
      {"runc", RuntimeType::kOci},
      {"crun", RuntimeType::kOci},
      {"runsc", RuntimeType::kOci},
      {"kata-qemu-virtiofs", RuntimeType::kVm},
      {"runc-shim", RuntimeType::kVm},
  };
  return handlers;
}

std::vector<std::string> HandlerDirs() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(kKitDir)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// Loads the embedded default plus the drop-ins of `dir` (nothing from the host's /etc).
absl::StatusOr<Config> LoadWithDropInDir(const testing::TempDir& tmp, const fs::path& dir) {
  ConfigSources sources;
  sources.config_file = tmp.Write("empty.toml", "");
  sources.config_dir = dir.string();
  return LoadConfig(sources);
}

// A flat view of a simple YAML mapping: "metadata.name" -> "runc". Nesting comes from the
// indentation; comments, quotes and blank lines are dropped. Enough for RuntimeClass files.
std::map<std::string, std::string> FlattenYaml(const std::string& text) {
  std::map<std::string, std::string> out;
  std::vector<std::pair<size_t, std::string>> parents;  // (indent, key)
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (Trim(line).empty()) continue;
    const size_t indent = line.find_first_not_of(' ');
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    while (!parents.empty() && parents.back().first >= indent) parents.pop_back();
    const std::string key = Trim(line.substr(indent, colon - indent));
    std::string value = Trim(line.substr(colon + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    std::string path;
    for (const auto& [parent_indent, parent_key] : parents) path += parent_key + ".";
    path += key;
    if (value.empty()) {
      parents.emplace_back(indent, key);
    } else {
      out[path] = value;
    }
  }
  return out;
}

TEST(HandlerKit, ShipsExactlyTheExpectedHandlers) {
  std::vector<std::string> expected;
  for (const auto& [name, type] : ExpectedHandlers()) expected.push_back(name);
  EXPECT_THAT(HandlerDirs(), ::testing::UnorderedElementsAreArray(expected));
}

TEST(HandlerKit, EveryDropInLoadsAndDefinesItsHandler) {
  for (const std::string& name : HandlerDirs()) {
    SCOPED_TRACE("runtime-handlers/" + name);
    const fs::path drop_in_dir = kKitDir / name / "cloison.d";
    ASSERT_TRUE(fs::is_directory(drop_in_dir));

    std::vector<std::string> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(drop_in_dir)) {
      files.push_back(entry.path().filename().string());
    }
    ASSERT_EQ(files.size(), 1u) << "one drop-in per handler";
    const std::string& file = files.front();
    // NN-<handler>.toml
    ASSERT_GE(file.size(), 3u);
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(file[0])) &&
                std::isdigit(static_cast<unsigned char>(file[1])) && file[2] == '-')
        << file;
    EXPECT_EQ(file.substr(3), name + ".toml");

    testing::TempDir tmp;
    absl::StatusOr<Config> config = LoadWithDropInDir(tmp, drop_in_dir);
    ASSERT_TRUE(config.ok()) << std::string(config.status().message());
    ASSERT_TRUE(config->runtimes.contains(name));
    const RuntimeHandler& handler = config->runtimes.at(name);
    ASSERT_TRUE(ExpectedHandlers().contains(name));
    EXPECT_EQ(handler.runtime_type, ExpectedHandlers().at(name));
    EXPECT_FALSE(handler.runtime_path.empty());

    // The drop-in adds its own handler and nothing else to the embedded runc and runsc.
    std::set<std::string> names;
    for (const auto& [handler_name, unused] : config->runtimes) names.insert(handler_name);
    EXPECT_EQ(names, (std::set<std::string>{"runc", "runsc", name}));
    EXPECT_EQ(config->default_runtime, "runc");
  }
}

TEST(HandlerKit, RuncAndRunscDropInsRestateTheEmbeddedDefaults) {
  testing::TempDir tmp;
  const fs::path empty_dir = tmp.path() / "empty.d";
  fs::create_directories(empty_dir);
  absl::StatusOr<Config> defaults = LoadWithDropInDir(tmp, empty_dir);
  ASSERT_TRUE(defaults.ok()) << std::string(defaults.status().message());
  for (const std::string name : {"runc", "runsc"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<Config> with_drop_in = LoadWithDropInDir(tmp, kKitDir / name / "cloison.d");
    ASSERT_TRUE(with_drop_in.ok()) << std::string(with_drop_in.status().message());
    EXPECT_TRUE(with_drop_in->runtimes.at(name) == defaults->runtimes.at(name));
  }
}

TEST(HandlerKit, SandboxedHandlersKeepHostDevicesOutAndUseAnInfraContainer) {
  for (const std::string name : {"runsc", "kata-qemu-virtiofs"}) {
    SCOPED_TRACE(name);
    testing::TempDir tmp;
    absl::StatusOr<Config> config = LoadWithDropInDir(tmp, kKitDir / name / "cloison.d");
    ASSERT_TRUE(config.ok()) << std::string(config.status().message());
    const RuntimeHandler& handler = config->runtimes.at(name);
    EXPECT_TRUE(handler.privileged_without_host_devices);
    EXPECT_EQ(handler.sandbox_mode, SandboxMode::kInfra);
  }
  testing::TempDir tmp;
  absl::StatusOr<Config> config =
      LoadWithDropInDir(tmp, kKitDir / "kata-qemu-virtiofs" / "cloison.d");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  const RuntimeHandler& kata = config->runtimes.at("kata-qemu-virtiofs");
  EXPECT_THAT(kata.runtime_path, ::testing::EndsWith("/containerd-shim-kata-v2"));
  EXPECT_THAT(kata.runtime_config_path, ::testing::EndsWith("/configuration-qemu-virtiofs.toml"));
}

TEST(HandlerKit, EveryRuntimeClassNamesItsHandler) {
  for (const std::string& name : HandlerDirs()) {
    SCOPED_TRACE("runtime-handlers/" + name + "/runtimeclass.yaml");
    const fs::path path = kKitDir / name / "runtimeclass.yaml";
    ASSERT_TRUE(fs::is_regular_file(path));
    const std::map<std::string, std::string> yaml = FlattenYaml(ReadFile(path));
    EXPECT_EQ(yaml.count("apiVersion") ? yaml.at("apiVersion") : "", "node.k8s.io/v1");
    EXPECT_EQ(yaml.count("kind") ? yaml.at("kind") : "", "RuntimeClass");
    EXPECT_EQ(yaml.count("handler") ? yaml.at("handler") : "", name);
    EXPECT_TRUE(yaml.count("metadata.name")) << "no metadata.name";
    if (name == "runsc" || name == "kata-qemu-virtiofs") {
      EXPECT_TRUE(yaml.count("overhead.podFixed.memory")) << "sandboxed pods need an overhead";
      EXPECT_TRUE(yaml.count("overhead.podFixed.cpu")) << "sandboxed pods need an overhead";
    }
  }
}

TEST(HandlerKit, SystemdUnitKeepsContainersAcrossDaemonRestarts) {
  std::set<std::string> lines;
  std::istringstream unit(ReadFile(kSourceDir / "config" / "cloisond.service"));
  for (std::string line; std::getline(unit, line);) lines.insert(Trim(line));
  EXPECT_TRUE(lines.contains("Type=notify"));
  EXPECT_TRUE(lines.contains("KillMode=process"));
  EXPECT_TRUE(lines.contains("Delegate=yes"));
}

}  // namespace
}  // namespace cloison::config
