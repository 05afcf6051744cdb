#include "cloison/image/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cloison::image {
namespace {

using ::testing::HasSubstr;

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;

struct NormalizationCase {
  std::string input;
  Reference expected;
};

class ReferenceNormalization : public ::testing::TestWithParam<NormalizationCase> {};

TEST_P(ReferenceNormalization, ParsesToExpectedParts) {
  absl::StatusOr<Reference> ref = ParseReference(GetParam().input);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(*ref, GetParam().expected) << ref->String();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceNormalization,
    ::testing::Values(
        NormalizationCase{"busybox", {"docker.io", "library/busybox", "latest", ""}},
        NormalizationCase{"busybox:1.36", {"docker.io", "library/busybox", "1.36", ""}},
        NormalizationCase{"library/busybox", {"docker.io", "library/busybox", "latest", ""}},
        NormalizationCase{"user/app", {"docker.io", "user/app", "latest", ""}},
        NormalizationCase{"docker.io/busybox", {"docker.io", "library/busybox", "latest", ""}},
        NormalizationCase{"index.docker.io/library/busybox",
                          {"docker.io", "library/busybox", "latest", ""}},
        NormalizationCase{"index.docker.io/busybox",
                          {"docker.io", "library/busybox", "latest", ""}},
        NormalizationCase{"registry-1.docker.io/busybox",
                          {"registry-1.docker.io", "busybox", "latest", ""}},
        NormalizationCase{"quay.io/a/b:c", {"quay.io", "a/b", "c", ""}},
        NormalizationCase{"quay.io/busybox", {"quay.io", "busybox", "latest", ""}},
        NormalizationCase{"localhost/x", {"localhost", "x", "latest", ""}},
        NormalizationCase{"localhost:5000/x/y:z", {"localhost:5000", "x/y", "z", ""}},
        NormalizationCase{"127.0.0.1:5000/x", {"127.0.0.1:5000", "x", "latest", ""}},
        NormalizationCase{"[::1]:5000/x", {"[::1]:5000", "x", "latest", ""}},
        NormalizationCase{"[::1]/x", {"[::1]", "x", "latest", ""}},
        NormalizationCase{"busybox@" + kDigest, {"docker.io", "library/busybox", "", kDigest}},
        NormalizationCase{"busybox:1.36@" + kDigest,
                          {"docker.io", "library/busybox", "1.36", kDigest}},
        NormalizationCase{"host:5000/a/b@" + kDigest, {"host:5000", "a/b", "", kDigest}},
        NormalizationCase{"a.b/c/d/e:t@" + kDigest, {"a.b", "c/d/e", "t", kDigest}},
        NormalizationCase{"Quay.IO/a", {"Quay.IO", "a", "latest", ""}},
        NormalizationCase{"localhost:5000", {"docker.io", "library/localhost", "5000", ""}},
        NormalizationCase{"a-b--c/d__e.f_g", {"docker.io", "a-b--c/d__e.f_g", "latest", ""}},
        NormalizationCase{"x:_Tag.v-1", {"docker.io", "library/x", "_Tag.v-1", ""}},
        NormalizationCase{kHex + ":tag", {"docker.io", "library/" + kHex, "tag", ""}}));

TEST(ReferenceStrings, TaggedAndDigested) {
  absl::StatusOr<Reference> both = ParseReference("quay.io/a/b:c@" + kDigest);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->Name(), "quay.io/a/b");
  EXPECT_EQ(both->String(), "quay.io/a/b:c@" + kDigest);
  EXPECT_EQ(both->TaggedString(), "quay.io/a/b:c");
  EXPECT_EQ(both->DigestedString(), "quay.io/a/b@" + kDigest);
}

TEST(ReferenceStrings, TagOnly) {
  absl::StatusOr<Reference> ref = ParseReference("busybox");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->Name(), "docker.io/library/busybox");
  EXPECT_EQ(ref->String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ref->TaggedString(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ref->DigestedString(), "");
}

TEST(ReferenceStrings, DigestOnly) {
  absl::StatusOr<Reference> ref = ParseReference("localhost:5000/x@" + kDigest);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->String(), "localhost:5000/x@" + kDigest);
  EXPECT_EQ(ref->TaggedString(), "");
  EXPECT_EQ(ref->DigestedString(), "localhost:5000/x@" + kDigest);
}

TEST(ReferenceStrings, StringReparsesToTheSameReference) {
  for (const std::string& input :
       {std::string("busybox:1.36"), "[::1]:5000/x@" + kDigest, "user/app:v@" + kDigest}) {
    absl::StatusOr<Reference> first = ParseReference(input);
    ASSERT_TRUE(first.ok()) << first.status();
    absl::StatusOr<Reference> second = ParseReference(first->String());
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(*first, *second) << input;
  }
}

struct RejectionCase {
  std::string input;
  std::string reason;
};

class ReferenceRejection : public ::testing::TestWithParam<RejectionCase> {};

TEST_P(ReferenceRejection, IsInvalidArgumentQuotingInputAndReason) {
  absl::StatusOr<Reference> ref = ParseReference(GetParam().input);
  ASSERT_FALSE(ref.ok()) << ref->String();
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(ref.status().message());
  EXPECT_THAT(message, HasSubstr("\"" + GetParam().input + "\" is not a valid image reference"));
  EXPECT_THAT(message, HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceRejection,
    ::testing::Values(
        RejectionCase{"", "it is empty"},
        RejectionCase{kHex, "image ID, not a name"},
        RejectionCase{"BusyBox", "must be lowercase"},
        RejectionCase{"user/App:tag", "must be lowercase"},
        RejectionCase{"quay.io/Org/app", "must be lowercase"},
        RejectionCase{"bus*box", "path component \"bus*box\""},
        RejectionCase{"bus box", "path component \"bus box\""},
        RejectionCase{"-busybox", "path component \"-busybox\""},
        RejectionCase{"busybox-", "path component \"busybox-\""},
        RejectionCase{"a/.b", "path component \".b\""},
        RejectionCase{"a..b", "path component \"a..b\""},
        RejectionCase{"a___b", "path component \"a___b\""},
        RejectionCase{"a._b", "path component \"a._b\""},
        RejectionCase{"/busybox", "empty path component"},
        RejectionCase{"busybox/", "empty path component"},
        RejectionCase{"a//b", "empty path component"},
        RejectionCase{"quay.io//a", "empty path component"},
        RejectionCase{"quay.io/", "repository name is empty"},
        RejectionCase{":latest", "repository name is empty"},
        RejectionCase{"@" + kDigest, "repository name is empty"},
        RejectionCase{"busybox:", "tag \"\""},
        RejectionCase{"busybox:.x", "tag \".x\""},
        RejectionCase{"busybox:-x", "tag \"-x\""},
        RejectionCase{"busybox:a+b", "tag \"a+b\""},
        RejectionCase{"busybox:a:b", "tag \"a:b\""},
        RejectionCase{"busybox:" + std::string(129, 't'), "must match"},
        RejectionCase{"busybox@", "digest \"\" must be algorithm:hex"},
        RejectionCase{"busybox@" + kHex, "must be algorithm:hex"},
        RejectionCase{"busybox@sha256:", "must be algorithm:hex"},
        RejectionCase{"busybox@sha256:abc", "64 lowercase hex"},
        RejectionCase{"busybox@sha256:" + std::string(64, 'A'), "64 lowercase hex"},
        RejectionCase{"busybox@sha256:" + std::string(65, 'a'), "64 lowercase hex"},
        RejectionCase{"busybox@sha256:" + std::string(64, 'g'), "64 lowercase hex"},
        RejectionCase{"busybox@sha512:" + std::string(128, 'a'), "\"sha512\" is not supported"},
        RejectionCase{"busybox@" + kDigest + "@" + kDigest, "64 lowercase hex"},
        RejectionCase{"quay.io/" + std::string(248, 'a'), "longer than 255 characters"},
        RejectionCase{"-bad.io/a", "registry \"-bad.io\""},
        RejectionCase{"bad_host.io/a", "registry \"bad_host.io\""},
        RejectionCase{"host:/a", "registry \"host:\""},
        RejectionCase{"host:port/a", "registry \"host:port\""},
        RejectionCase{"host:65536/a", "registry \"host:65536\""},
        RejectionCase{"a..io/b", "registry \"a..io\""},
        RejectionCase{"[::1/a", "registry \"[::1\""},
        RejectionCase{"[zz::1]:5000/a", "registry \"[zz::1]:5000\""},
        RejectionCase{"busybox:1.0/x", "registry \"busybox:1.0\""}));

TEST(ReferenceLength, NameOfExactly255IsAccepted) {
  // "quay.io/" is 8 characters: 8 + 247 = 255.
  EXPECT_TRUE(ParseReference("quay.io/" + std::string(247, 'a')).ok());
  // docker.io/library/ is added by normalization and counts towards the limit.
  EXPECT_FALSE(ParseReference(std::string(240, 'a')).ok());
}

TEST(ReferenceShortName, FollowsDockersRegistryRule) {
  EXPECT_TRUE(IsShortName("busybox"));
  EXPECT_TRUE(IsShortName("busybox:1.36"));
  EXPECT_TRUE(IsShortName("busybox@" + kDigest));
  EXPECT_TRUE(IsShortName("user/app"));
  EXPECT_TRUE(IsShortName("library/busybox"));
  EXPECT_TRUE(IsShortName("localhost:5000"));  // no '/': an image "localhost" tagged "5000"
  EXPECT_FALSE(IsShortName("docker.io/busybox"));
  EXPECT_FALSE(IsShortName("quay.io/a/b"));
  EXPECT_FALSE(IsShortName("localhost/x"));
  EXPECT_FALSE(IsShortName("host:5000/x"));
  EXPECT_FALSE(IsShortName("[::1]/x"));
}

std::vector<std::string> Strings(const std::vector<Reference>& refs) {
  std::vector<std::string> out;
  for (const Reference& ref : refs) out.push_back(ref.String());
  return out;
}

TEST(ResolveName, ShortNameTriesEachSearchRegistryInOrder) {
  absl::StatusOr<std::vector<Reference>> refs =
      ResolveName("busybox", {"localhost:5000", "docker.io", "quay.io"});
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(Strings(*refs),
            (std::vector<std::string>{"localhost:5000/busybox:latest",
                                      "docker.io/library/busybox:latest",
                                      "quay.io/busybox:latest"}));
}

TEST(ResolveName, KeepsTagDigestAndNamespace) {
  absl::StatusOr<std::vector<Reference>> refs =
      ResolveName("user/app:v1@" + kDigest, {"quay.io", "docker.io"});
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(Strings(*refs), (std::vector<std::string>{"quay.io/user/app:v1@" + kDigest,
                                                      "docker.io/user/app:v1@" + kDigest}));
}

TEST(ResolveName, LegacyDockerHubAliasNormalizesAndDuplicatesAreDropped) {
  absl::StatusOr<std::vector<Reference>> refs =
      ResolveName("busybox", {"index.docker.io", "docker.io", "[::1]:5000"});
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(Strings(*refs), (std::vector<std::string>{"docker.io/library/busybox:latest",
                                                      "[::1]:5000/busybox:latest"}));
}

TEST(ResolveName, EmptySearchListMeansDockerHub) {
  absl::StatusOr<std::vector<Reference>> refs = ResolveName("busybox:1.36", {});
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(Strings(*refs), std::vector<std::string>{"docker.io/library/busybox:1.36"});
}

TEST(ResolveName, QualifiedNameReturnsOnlyItself) {
  absl::StatusOr<std::vector<Reference>> refs =
      ResolveName("quay.io/a/b:c", {"localhost:5000", "docker.io"});
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(Strings(*refs), std::vector<std::string>{"quay.io/a/b:c"});

  refs = ResolveName("docker.io/busybox", {"localhost:5000"});
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(Strings(*refs), std::vector<std::string>{"docker.io/library/busybox:latest"});
}

TEST(ResolveName, RejectsInvalidNameAndInvalidSearchRegistry) {
  absl::StatusOr<std::vector<Reference>> refs = ResolveName("Busybox", {"docker.io"});
  ASSERT_FALSE(refs.ok());
  EXPECT_EQ(refs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refs.status().message()), HasSubstr("must be lowercase"));

  refs = ResolveName(kHex, {"docker.io"});
  ASSERT_FALSE(refs.ok());
  EXPECT_THAT(std::string(refs.status().message()), HasSubstr("image ID"));

  refs = ResolveName("busybox", {"docker.io", "bad_host/x"});
  ASSERT_FALSE(refs.ok());
  EXPECT_EQ(refs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refs.status().message()),
              HasSubstr("search registry \"bad_host/x\""));
}

TEST(ResolveName, NameTooLongForOneRegistryIsRejected) {
  const std::string name(230, 'a');  // fits docker.io/library/ but not a long registry
  ASSERT_TRUE(ResolveName(name, {"docker.io"}).ok());
  absl::StatusOr<std::vector<Reference>> refs =
      ResolveName(name, {"docker.io", std::string(30, 'r') + ".example.com"});
  ASSERT_FALSE(refs.ok());
  EXPECT_THAT(std::string(refs.status().message()), HasSubstr("longer than 255"));
}

TEST(LoopbackRegistry, AcceptsLoopbackHostsWithOrWithoutPort) {
  for (const char* registry : {"localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000",
                               "127.1.2.3:80", "127.255.255.255", "[::1]", "[::1]:5000",
                               "[0:0:0:0:0:0:0:1]:5000"}) {
    EXPECT_TRUE(IsLoopbackRegistry(registry)) << registry;
  }
}

TEST(LoopbackRegistry, RejectsEverythingElse) {
  for (const char* registry :
       {"", "localhostx", "localhostx:5000", "10.0.0.1", "128.0.0.1", "126.0.0.1:5000",
        "docker.io", "127.0.0.1.example.com", "127.0.0.1:port", "127.0.0.1:", "127.0.0.256",
        "127.1", "[::2]:5000", "[::1", "::1", "localhost:99999"}) {
    EXPECT_FALSE(IsLoopbackRegistry(registry)) << registry;
  }
}

TEST(ValidDigest, AcceptsOnlySha256With64LowercaseHex) {
  EXPECT_TRUE(IsValidDigest(kDigest));
  EXPECT_TRUE(IsValidDigest("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsValidDigest(""));
  EXPECT_FALSE(IsValidDigest(kHex));
  EXPECT_FALSE(IsValidDigest("sha256:"));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(65, 'a')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(IsValidDigest("SHA256:" + kHex));
  EXPECT_FALSE(IsValidDigest("sha512:" + kHex + kHex));
  EXPECT_FALSE(IsValidDigest(" " + kDigest));
}

}  // namespace
}  // namespace cloison::image
