// What registries send and cloison reads: credentials and challenges, token answers, status
// lines, manifests, indexes and image configs. A field of the wrong type is an error naming the
// document and the field, never an exception.
#include "cloison/image/registry_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloison/image/http_client.h"
#include "cloison/image/manifest.h"
#include "cloison/image/puller.h"

namespace cloison::image {
namespace {

using ::testing::HasSubstr;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

void ExpectInvalid(const absl::Status& status, absl::string_view message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(message)));
}

absl::StatusOr<Credentials> FromServerAddress(absl::string_view server_address) {
  return CredentialsFromAuthConfig("user", "pass", "", "", "", server_address);
}

TEST(RegistryHost, ReducesAddressesToHostAndPort) {
  EXPECT_EQ(RegistryHost("quay.io"), "quay.io");
  EXPECT_EQ(RegistryHost("quay.io:443"), "quay.io:443");
  EXPECT_EQ(RegistryHost("https://quay.io"), "quay.io");
  EXPECT_EQ(RegistryHost("https://quay.io/v2/"), "quay.io");
  EXPECT_EQ(RegistryHost("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
  EXPECT_EQ(RegistryHost("127.0.0.1:5000/some/repo"), "127.0.0.1:5000");
  EXPECT_EQ(RegistryHost("https://[::1]:5000"), "[::1]:5000");
  EXPECT_EQ(RegistryHost("HTTPS://Quay.IO/"), "quay.io");
  EXPECT_EQ(RegistryHost("https://user@quay.io"), "quay.io");
  EXPECT_EQ(RegistryHost("quay.io?x=1"), "quay.io");
  EXPECT_EQ(RegistryHost(""), "");
  EXPECT_EQ(RegistryHost("https:///v2/"), "");
}

TEST(RegistryHost, DockerHubHasOneName) {
  // kubelet's key for Docker Hub credentials, and the host its API is served from.
  EXPECT_EQ(RegistryHost("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(RegistryHost("https://registry-1.docker.io"), "docker.io");
  EXPECT_EQ(RegistryHost("registry.hub.docker.com"), "docker.io");
  EXPECT_EQ(RegistryHost("docker.io"), "docker.io");
  EXPECT_EQ(RegistryHost("docker.io:5000"), "docker.io:5000");
}

TEST(CredentialsFromAuthConfig, ServerAddressBindsTheCredentialsToItsHost) {
  absl::StatusOr<Credentials> credentials = FromServerAddress("https://Registry.example.com:5000/v2/");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->registry_host, "registry.example.com:5000");
  EXPECT_TRUE(credentials->AppliesTo("registry.example.com:5000"));
  EXPECT_FALSE(credentials->AppliesTo("registry.example.com"));  // another port, another registry
  EXPECT_FALSE(credentials->AppliesTo("mirror.example.com:5000"));
  EXPECT_FALSE(credentials->AppliesTo(""));
}

TEST(CredentialsFromAuthConfig, WithoutServerAddressTheCredentialsApplyEverywhere) {
  absl::StatusOr<Credentials> credentials = FromServerAddress("");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->registry_host, "");
  EXPECT_TRUE(credentials->AppliesTo("registry.example.com"));
  EXPECT_TRUE(credentials->AppliesTo("mirror.example.com:5000"));
}

TEST(CredentialsFromAuthConfig, DockerHubCredentialsApplyToItsApiHost) {
  absl::StatusOr<Credentials> credentials = FromServerAddress("https://index.docker.io/v1/");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_TRUE(credentials->AppliesTo(RegistryHost("https://registry-1.docker.io")));
  EXPECT_FALSE(credentials->AppliesTo(RegistryHost("https://quay.io")));
}

TEST(CredentialsFromAuthConfig, ServerAddressWithoutHostIsRefused) {
  absl::StatusOr<Credentials> credentials = FromServerAddress("https:///v2/");
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(credentials.status().message()), HasSubstr("auth.server_address \"https:///v2/\""));
}

TEST(CredentialsFromAuthConfig, AuthFieldSuppliesUserAndPassword) {
  absl::StatusOr<Credentials> credentials =
      CredentialsFromAuthConfig("ignored", "ignored", "Y2xvaXNvbjpzM2NyZXQ6cGFzcw==", "", "", "quay.io");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->username, "cloison");
  EXPECT_EQ(credentials->password, "s3cret:pass");  // only the first ':' separates
  EXPECT_EQ(credentials->registry_host, "quay.io");

  credentials = CredentialsFromAuthConfig("", "", "bm9jb2xvbg==", "", "", "");  // "nocolon"
  ASSERT_FALSE(credentials.ok());
  EXPECT_THAT(std::string(credentials.status().message()), HasSubstr("auth.auth"));
}

TEST(ParseWwwAuthenticate, ReadsBearerParameters) {
  const std::vector<AuthChallenge> challenges = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a:pull")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].params.at("realm"), "https://auth.example.com/token");
  EXPECT_EQ(challenges[0].params.at("service"), "registry.example.com");
  EXPECT_EQ(challenges[0].params.at("scope"), "repository:a:pull");
}

TEST(ParseWwwAuthenticate, UnterminatedQuoteEndsTheHeader) {
  const std::vector<AuthChallenge> challenges = ParseWwwAuthenticate(R"(Bearer realm="https://a, Basic)");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].params.at("realm"), "https://a, Basic");
  EXPECT_TRUE(ParseWwwAuthenticate(R"(Bearer realm=")").size() == 1u);
  EXPECT_TRUE(ParseWwwAuthenticate(R"(Bearer realm="\)").size() == 1u);
}

TEST(TokenFromAnswer, TakesTokenThenAccessToken) {
  EXPECT_EQ(*TokenFromAnswer(R"({"token":"t1","access_token":"t2"})"), "t1");
  EXPECT_EQ(*TokenFromAnswer(R"({"access_token":"t2","expires_in":300})"), "t2");
  EXPECT_EQ(*TokenFromAnswer(R"({"token":"","access_token":"t2"})"), "t2");
  EXPECT_EQ(*TokenFromAnswer(R"({"token":null,"access_token":"t2"})"), "t2");
}

TEST(TokenFromAnswer, WrongTypesAndMissingTokensAreErrorsNotExceptions) {
  // Each of these threw nlohmann::json::type_error out of the pull before.
  ExpectInvalid(TokenFromAnswer(R"({"token":5})").status(), R"("token" must be a string, not number)");
  ExpectInvalid(TokenFromAnswer(R"({"access_token":["x"]})").status(), R"("access_token" must be a string, not array)");
  ExpectInvalid(TokenFromAnswer(R"({"token":{},"access_token":"t"})").status(), R"("token" must be a string)");
  ExpectInvalid(TokenFromAnswer(R"({})").status(), "no token");
  ExpectInvalid(TokenFromAnswer(R"(["token"])").status(), "not a JSON object");
  ExpectInvalid(TokenFromAnswer("<html>").status(), "not a JSON object");
}

TEST(TokenFromAnswer, RefusesATokenThatWouldSplitTheHeader) {
  ExpectInvalid(TokenFromAnswer(R"({"token":"abc\r\nX-Injected: 1"})").status(), "control characters");
  ExpectInvalid(TokenFromAnswer(R"({"token":"abc\u0000def"})").status(), "control characters");
}

TEST(StatusCodeOfLine, ReadsThreeDigitsAfterTheFirstSpace) {
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1 200 OK\r\n"), 200);
  EXPECT_EQ(StatusCodeOfLine("HTTP/2 404\r\n"), 404);
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1 401"), 401);
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1\r\n"), 0);
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1 \r\n200"), 0);  // strtol used to skip the CR LF
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1 20"), 0);
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1 2000 OK"), 0);
  EXPECT_EQ(StatusCodeOfLine("HTTP/1.1 -200"), 0);
}

TEST(ClassifyManifest, UsesTheContentTypeThenTheBody) {
  EXPECT_EQ(*ClassifyManifest(kOciIndex, "ignored"), ManifestKind::kIndex);
  EXPECT_EQ(*ClassifyManifest("application/json", R"({"mediaType":")" + std::string(kDockerManifest) + "\"}"),
            ManifestKind::kImage);
  EXPECT_EQ(*ClassifyManifest("", R"({"manifests":[]})"), ManifestKind::kIndex);
  EXPECT_EQ(*ClassifyManifest("", R"({"mediaType":null,"layers":[]})"), ManifestKind::kImage);
  EXPECT_EQ(ClassifyManifest("", R"({"mediaType":"application/vnd.docker.distribution.manifest.v1+json"})")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ClassifyManifest, MediaTypeOfAnotherTypeIsInvalidArgument) {
  ExpectInvalid(ClassifyManifest("", R"({"mediaType":5})").status(), R"(manifest: "mediaType" must be a string, not number)");
  ExpectInvalid(ClassifyManifest("text/plain", R"({"mediaType":[]})").status(), R"("mediaType" must be a string)");
  ExpectInvalid(ClassifyManifest("", "[]").status(), "manifest is not a JSON object");
}

std::string ImageManifestWith(const std::string& layer) {
  return R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         kDigestA + R"(","size":10},"layers":[)" + layer + "]}";
}

TEST(ParseImageManifest, ReadsConfigAndLayers) {
  absl::StatusOr<ImageManifest> manifest = ParseImageManifest(ImageManifestWith(
      R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + kDigestB + R"(","size":42})"));
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->config.digest, kDigestA);
  EXPECT_EQ(manifest->config.size, 10);
  ASSERT_EQ(manifest->layers.size(), 1u);
  EXPECT_EQ(manifest->layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(manifest->layers[0].size, 42);
  // A null field is a missing one.
  manifest = ParseImageManifest(ImageManifestWith(R"({"digest":")" + kDigestB + R"(","size":0,"mediaType":null})"));
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->layers[0].size, 0);
  EXPECT_EQ(manifest->layers[0].media_type, "");
}

// The OCI image spec requires a descriptor's size, and it is what bounds the download: without
// one the content store took a blob of any length, so a registry could stream a layer without
// end onto the disk.
TEST(ParseImageManifest, MissingOrNegativeSizeIsInvalidArgumentNamingIt) {
  const std::string digest = R"("digest":")" + kDigestB + R"(")";
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + "}")).status(),
                R"(manifest layer: "size" is missing)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"size":null})")).status(),
                R"(manifest layer: "size" is missing)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"size":-1})")).status(),
                R"(manifest layer: "size" must not be negative: -1)");
  ExpectInvalid(ParseImageManifest(R"({"config":{"digest":")" + kDigestA + R"("},"layers":[]})").status(),
                R"(manifest config: "size" is missing)");
  ExpectInvalid(ParseImageManifest(R"({"config":{"digest":")" + kDigestA + R"(","size":-5},"layers":[]})").status(),
                R"(manifest config: "size" must not be negative: -5)");
  ExpectInvalid(ParseIndex(R"({"manifests":[{"digest":")" + kDigestA + R"(","platform":{"os":"linux"}}]})").status(),
                R"(index entry: "size" is missing)");
  ExpectInvalid(ParseIndex(R"({"manifests":[{"digest":")" + kDigestA + R"(","size":-2}]})").status(),
                R"(index entry: "size" must not be negative: -2)");
}

// The config is read whole into memory (for the image's user, and again at each
// CreateContainer): one over containers/image's 4 MiB is refused before it is fetched.
TEST(ParseImageManifest, ConfigOverFourMebibytesIsInvalidArgumentNamingConfigSize) {
  auto with_config_size = [](int64_t size) {
    return absl::StrCat(R"({"config":{"digest":")", kDigestA, R"(","size":)", size, R"(},"layers":[]})");
  };
  ExpectInvalid(ParseImageManifest(with_config_size(10737418240)).status(),
                R"(manifest config: "size" 10737418240 is over the 4194304 bytes an image config may have)");
  ExpectInvalid(ParseImageManifest(with_config_size(kMaxImageConfigBytes + 1)).status(), R"(config: "size")");
  absl::StatusOr<ImageManifest> at_the_limit = ParseImageManifest(with_config_size(kMaxImageConfigBytes));
  ASSERT_TRUE(at_the_limit.ok()) << at_the_limit.status();
  EXPECT_EQ(at_the_limit->config.size, 4 << 20);
}

TEST(ParseImageManifest, FieldsOfAnotherTypeAreInvalidArgumentNamingThem) {
  // Each of these threw nlohmann::json::type_error out of the pull (and out of the gRPC call).
  const std::string digest = R"("digest":")" + kDigestB + R"(")";
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"mediaType":5})")).status(),
                R"(manifest layer: "mediaType" must be a string, not number)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"size":"42"})")).status(),
                R"(manifest layer: "size" must be an integer, not string)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"size":4.5})")).status(),
                R"("size" must be an integer, not number)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"size":1e300})")).status(),
                R"("size" must be an integer)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("{" + digest + R"(,"size":18446744073709551615})")).status(),
                R"("size" is out of range)");
  ExpectInvalid(ParseImageManifest(R"({"config":{"digest":")" + kDigestA + R"(","size":true},"layers":[]})").status(),
                R"(manifest config: "size" must be an integer, not boolean)");
  ExpectInvalid(ParseImageManifest(ImageManifestWith("5")).status(), "manifest layer: descriptor without a digest");
  ExpectInvalid(ParseImageManifest(R"({"config":{"digest":")" + kDigestA + R"(","size":2},"layers":{}})").status(),
                "layers is not an array");
}

TEST(ParseIndex, ReadsEntriesWithTheirPlatforms) {
  absl::StatusOr<std::vector<Descriptor>> entries = ParseIndex(
      R"({"manifests":[{"digest":")" + kDigestA +
      R"(","size":7,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},{"digest":")" + kDigestB +
      R"(","size":8,"platform":"not an object"}]})");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].platform.architecture, "arm64");
  EXPECT_EQ((*entries)[0].platform.variant, "v8");
  EXPECT_EQ((*entries)[1].platform.os, "");  // a platform that is no object is ignored, as before
}

TEST(ParseIndex, PlatformFieldsOfAnotherTypeAreInvalidArgument) {
  ExpectInvalid(ParseIndex(R"({"manifests":[{"digest":")" + kDigestA + R"(","size":1,"platform":{"os":1}}]})").status(),
                R"(index entry platform: "os" must be a string, not number)");
  ExpectInvalid(ParseIndex(R"({"manifests":[{"digest":")" + kDigestA +
                           R"(","size":1,"platform":{"architecture":null,"variant":[]}}]})")
                    .status(),
                R"(index entry platform: "variant" must be a string, not array)");
  ExpectInvalid(ParseIndex(R"({"manifests":[{"digest":")" + kDigestA + R"(","mediaType":{}}]})").status(),
                R"(index entry: "mediaType" must be a string, not object)");
  ExpectInvalid(ParseIndex(R"({"manifests":{}})").status(), "manifests is not an array");
}

TEST(SelectPlatform, TheChosenEntryMustHaveASha256Digest) {
  // Otherwise GetManifest fetches it without checking what the registry serves, even in a pull
  // by digest.
  const Platform amd64{"linux", "amd64", ""};
  std::vector<Descriptor> entries = {{"", "sha512:" + std::string(128, 'a'), 1, amd64},
                                     {"", kDigestB, 1, {"linux", "arm64", ""}}};
  ExpectInvalid(SelectPlatform(entries, amd64).status(), "index entry for linux/amd64: digest \"sha512:");
  entries[0].digest = "latest";
  ExpectInvalid(SelectPlatform(entries, amd64).status(), "is not sha256:<64 lowercase hex>");
  absl::StatusOr<Descriptor> arm64 = SelectPlatform(entries, {"linux", "arm64", "v8"});
  ASSERT_TRUE(arm64.ok()) << arm64.status();
  EXPECT_EQ(arm64->digest, kDigestB);
}

TEST(ImageSize, AddsSizesAndSaturates) {
  ImageManifest manifest;
  manifest.config.size = 10;
  manifest.layers = {{"", kDigestA, 100, {}}, {"", kDigestB, 0, {}}};
  EXPECT_EQ(ImageSize(manifest), 110);
  // Sizes a registry declares for blobs already in the store are never checked against a
  // download: their sum used to overflow int64 (undefined behaviour).
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  manifest.layers = {{"", kDigestA, kMax, {}}, {"", kDigestB, kMax, {}}};
  EXPECT_EQ(ImageSize(manifest), kMax);
}

TEST(UserFromImageConfig, ReadsUidOrName) {
  ImageRecord record;
  ASSERT_TRUE(UserFromImageConfig(R"({"config":{"User":"1000:1000"}})", record).ok());
  EXPECT_EQ(record.uid, 1000);
  ImageRecord named;
  ASSERT_TRUE(UserFromImageConfig(R"({"config":{"User":"app"}})", named).ok());
  EXPECT_EQ(named.username, "app");
  EXPECT_FALSE(named.uid.has_value());
}

TEST(UserFromImageConfig, WhatWasIgnoredStaysIgnored) {
  for (const char* config : {"not json", "[]", R"({"config":5})", R"({"config":{}})", R"({"config":{"User":null}})",
                             R"({"config":{"User":""}})", R"({"config":{"User":":0"}})"}) {
    ImageRecord record;
    EXPECT_TRUE(UserFromImageConfig(config, record).ok()) << config;
    EXPECT_EQ(record, ImageRecord{}) << config;
  }
}

TEST(UserFromImageConfig, UserOfAnotherTypeIsInvalidArgument) {
  ImageRecord record;
  // Threw nlohmann::json::type_error out of the pull before.
  ExpectInvalid(UserFromImageConfig(R"({"config":{"User":0}})", record), R"(image config: "User" must be a string, not number)");
  ExpectInvalid(UserFromImageConfig(R"({"config":{"User":["root"]}})", record), R"("User" must be a string, not array)");
  EXPECT_EQ(record, ImageRecord{});
}

}  // namespace
}  // namespace cloison::image
