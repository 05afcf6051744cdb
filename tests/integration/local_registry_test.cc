// Self-test of the image-service fixtures: the OCI layouts from tests/fixtures/build-images.sh
// and LocalRegistry (local_registry.h), checked with skopeo as an independent client.
#include "local_registry.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cloison::testing {
namespace {

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

std::vector<std::string> Skopeo(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"skopeo", "--insecure-policy"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// `skopeo inspect [--raw] --tls-verify=false` of docker://HOST/ref, with the registry's
// credentials (or none).
CommandResult Inspect(const LocalRegistry& registry, const std::string& ref, bool raw,
                      bool with_creds = true) {
  std::vector<std::string> args = {"inspect", "--tls-verify=false"};
  if (raw) args.push_back("--raw");
  if (with_creds && !registry.creds().empty()) {
    args.push_back("--creds");
    args.push_back(registry.creds());
  } else {
    args.push_back("--no-creds");
  }
  args.push_back("docker://" + registry.host() + "/" + ref);
  return RunCommand(Skopeo(args));
}

nlohmann::json ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

// The digest skopeo computes for a manifest (so we need no SHA-256 here).
std::string ManifestDigest(const std::string& manifest) {
  TempDir dir;
  const std::string file = dir.Write("manifest.json", manifest);
  CommandResult result = RunCommand(Skopeo({"manifest-digest", file}));
  EXPECT_TRUE(result.ok()) << result.output;
  while (!result.output.empty() && std::isspace(static_cast<unsigned char>(result.output.back()))) {
    result.output.pop_back();
  }
  return result.output;
}

// Copies docker://HOST/ref to a fresh OCI layout (skopeo verifies every blob's digest).
CommandResult CopyToOci(const LocalRegistry& registry, const std::string& ref, const TempDir& dir) {
  std::vector<std::string> args = {"copy", "--quiet", "--src-tls-verify=false"};
  if (registry.creds().empty()) {
    args.push_back("--src-no-creds");
  } else {
    args.push_back("--src-creds");
    args.push_back(registry.creds());
  }
  args.push_back("docker://" + registry.host() + "/" + ref);
  args.push_back("oci:" + (dir.path() / "layout").string() + ":latest");
  return RunCommand(Skopeo(args));
}

TEST(LocalRegistryFixtures, ImagesAreBuilt) {
  for (const char* name : {"busybox", "multilayer", "multiarch", "zstd"}) {
    EXPECT_TRUE(std::filesystem::exists(LocalRegistry::FixtureLayout(name) + "/index.json"))
        << name << " in " << LocalRegistry::ImagesDir();
    EXPECT_TRUE(std::filesystem::exists(LocalRegistry::FixtureLayout(name) + "/oci-layout"))
        << name;
  }
}

TEST(LocalRegistryFixtures, BusyboxConfig) {
  const CommandResult result = RunCommand(
      Skopeo({"inspect", "--config", "oci:" + LocalRegistry::FixtureLayout("busybox") + ":latest"}));
  ASSERT_TRUE(result.ok()) << result.output;
  const nlohmann::json config = ParseJson(result.output);
  EXPECT_EQ(config["architecture"], "amd64");
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(config["config"]["Cmd"], nlohmann::json::array({"/bin/sh"}));
  EXPECT_FALSE(config["config"].contains("Entrypoint"));
  EXPECT_EQ(config["config"]["WorkingDir"], "/");
  EXPECT_EQ(config["config"].value("User", ""), "");
  ASSERT_EQ(config["config"]["Env"].size(), 1u);
  EXPECT_EQ(config["config"]["Env"][0].get<std::string>().rfind("PATH=", 0), 0u);
  EXPECT_EQ(config["rootfs"]["diff_ids"].size(), 1u);
}

TEST(LocalRegistryFixtures, MultilayerHasThreeLayers) {
  const CommandResult result = RunCommand(
      Skopeo({"inspect", "--raw", "oci:" + LocalRegistry::FixtureLayout("multilayer") + ":latest"}));
  ASSERT_TRUE(result.ok()) << result.output;
  const nlohmann::json manifest = ParseJson(result.output);
  ASSERT_EQ(manifest["layers"].size(), 3u);
  int64_t total = 0;
  for (const auto& layer : manifest["layers"]) total += layer["size"].get<int64_t>();
  EXPECT_GT(total, 3 * 1000 * 1000);
  EXPECT_LT(total, 5 * 1024 * 1024);
}

class LocalRegistryAuthTest : public ::testing::TestWithParam<RegistryAuth> {};

TEST_P(LocalRegistryAuthTest, PushThenInspect) {
  auto registry = LocalRegistry::Start(GetParam());
  ASSERT_NE(registry, nullptr);
  EXPECT_EQ(registry->host().rfind("127.0.0.1:", 0), 0u);
  const std::string digest = registry->Push("busybox", "library/busybox:1.0");
  ASSERT_EQ(digest.rfind("sha256:", 0), 0u) << digest;

  const CommandResult inspect = Inspect(*registry, "library/busybox:1.0", /*raw=*/false);
  ASSERT_TRUE(inspect.ok()) << inspect.output;
  const nlohmann::json info = ParseJson(inspect.output);
  EXPECT_EQ(info["Digest"], digest);
  EXPECT_EQ(info["Architecture"], "amd64");

  // Pushed with --preserve-digests: the registry has the fixture's own manifest.
  const CommandResult local = RunCommand(
      Skopeo({"inspect", "oci:" + LocalRegistry::FixtureLayout("busybox") + ":latest"}));
  ASSERT_TRUE(local.ok()) << local.output;
  EXPECT_EQ(ParseJson(local.output)["Digest"], digest);

  if (GetParam() == RegistryAuth::kNone) {
    EXPECT_TRUE(registry->creds().empty());
    EXPECT_TRUE(registry->token_realm().empty());
    return;
  }
  const CommandResult anonymous =
      Inspect(*registry, "library/busybox:1.0", /*raw=*/false, /*with_creds=*/false);
  EXPECT_FALSE(anonymous.ok()) << anonymous.output;

  const CommandResult wrong = RunCommand(Skopeo(
      {"inspect", "--tls-verify=false", "--creds", std::string(LocalRegistry::kUser) + ":wrong",
       "docker://" + registry->host() + "/library/busybox:1.0"}));
  EXPECT_FALSE(wrong.ok()) << wrong.output;

  if (GetParam() == RegistryAuth::kToken) {
    const std::string realm = registry->token_realm();
    ASSERT_EQ(realm.rfind("http://127.0.0.1:", 0), 0u) << realm;
    EXPECT_NE(registry->TokenServerLog().find("200"), std::string::npos);
    // The token endpoint itself refuses requests without credentials.
    const int token_port = std::atoi(realm.c_str() + std::strlen("http://127.0.0.1:"));
    EXPECT_EQ(registry_internal::HttpGetStatus(
                  token_port, "/token?service=cloison-test-registry&scope=repository:x:pull"),
              401);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, LocalRegistryAuthTest,
                         ::testing::Values(RegistryAuth::kNone, RegistryAuth::kBasic,
                                           RegistryAuth::kToken),
                         [](const ::testing::TestParamInfo<RegistryAuth>& param_info) {
                           switch (param_info.param) {
                             case RegistryAuth::kNone: return std::string("None");
                             case RegistryAuth::kBasic: return std::string("Basic");
                             case RegistryAuth::kToken: return std::string("Token");
                           }
                           return std::string("Unknown");
                         });

TEST(LocalRegistryTest, CorruptBlobMakesCopyFailWithDigestError) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  ASSERT_FALSE(registry->Push("busybox", "library/busybox:1.0").empty());
  const CommandResult raw = Inspect(*registry, "library/busybox:1.0", /*raw=*/true);
  ASSERT_TRUE(raw.ok()) << raw.output;
  const std::string layer = ParseJson(raw.output)["layers"][0]["digest"];

  const auto size_before = std::filesystem::file_size(registry->BlobPath(layer));
  registry->CorruptBlob(layer);
  EXPECT_EQ(std::filesystem::file_size(registry->BlobPath(layer)), size_before);

  TempDir dir;
  const CommandResult copy = CopyToOci(*registry, "library/busybox:1.0", dir);
  EXPECT_FALSE(copy.ok()) << copy.output;
  EXPECT_NE(copy.output.find("Digest did not match"), std::string::npos) << copy.output;
}

TEST(LocalRegistryTest, MultiarchPushIsAnIndexOfTwoManifests) {
  auto registry = LocalRegistry::Start(RegistryAuth::kBasic);
  ASSERT_NE(registry, nullptr);
  const std::string digest = registry->Push("multiarch", "library/multiarch:1.0");
  ASSERT_FALSE(digest.empty());
  const CommandResult raw = Inspect(*registry, "library/multiarch:1.0", /*raw=*/true);
  ASSERT_TRUE(raw.ok()) << raw.output;
  EXPECT_EQ(ManifestDigest(raw.output), digest);
  const nlohmann::json index = ParseJson(raw.output);
  EXPECT_EQ(index["mediaType"], kOciIndex);
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_EQ(index["manifests"][0]["mediaType"], kOciManifest);
  EXPECT_EQ(index["manifests"][0]["platform"]["architecture"], "amd64");
  EXPECT_EQ(index["manifests"][0]["platform"]["os"], "linux");
  EXPECT_EQ(index["manifests"][1]["platform"]["architecture"], "arm64");
  EXPECT_EQ(index["manifests"][1]["platform"]["variant"], "v8");

  // Both child manifests are pullable by digest.
  for (const auto& m : index["manifests"]) {
    const CommandResult child =
        Inspect(*registry, "library/multiarch@" + m["digest"].get<std::string>(), /*raw=*/true);
    EXPECT_TRUE(child.ok()) << child.output;
  }
}

TEST(LocalRegistryTest, ZstdLayersKeepTheirMediaType) {
  auto registry = LocalRegistry::Start();
  ASSERT_NE(registry, nullptr);
  ASSERT_FALSE(registry->Push("zstd", "library/busybox:zstd").empty());
  const CommandResult raw = Inspect(*registry, "library/busybox:zstd", /*raw=*/true);
  ASSERT_TRUE(raw.ok()) << raw.output;
  const nlohmann::json manifest = ParseJson(raw.output);
  ASSERT_FALSE(manifest["layers"].empty());
  for (const auto& layer : manifest["layers"]) {
    EXPECT_EQ(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
  }
}

TEST(LocalRegistryTest, CountBlobGetsCountsDownloads) {
  auto registry = LocalRegistry::Start(RegistryAuth::kToken);
  ASSERT_NE(registry, nullptr);
  ASSERT_FALSE(registry->Push("multilayer", "library/multilayer:1.0").empty());
  const CommandResult raw = Inspect(*registry, "library/multilayer:1.0", /*raw=*/true);
  ASSERT_TRUE(raw.ok()) << raw.output;
  const nlohmann::json manifest = ParseJson(raw.output);
  const std::string layer = manifest["layers"][1]["digest"];
  EXPECT_EQ(registry->CountBlobGets(layer), 0);  // a push only HEADs and PUTs

  TempDir dir;
  const CommandResult copy = CopyToOci(*registry, "library/multilayer:1.0", dir);
  ASSERT_TRUE(copy.ok()) << copy.output;
  EXPECT_GE(registry->CountBlobGets(layer), 1);
  EXPECT_GE(registry->CountBlobGets(manifest["config"]["digest"]), 1);
  EXPECT_EQ(registry->CountBlobGets("sha256:" + std::string(64, '0')), 0);
}

}  // namespace
}  // namespace cloison::testing
