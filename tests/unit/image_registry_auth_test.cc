#include "cloison/image/registry_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace cloison::image {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace cloison::image
