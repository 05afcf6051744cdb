#include "cloison/image/pinned_images.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cloison::image {
namespace {

using ::testing::HasSubstr;

PinnedImages Pins(const std::vector<std::string>& entries) {
  absl::StatusOr<PinnedImages> pinned = PinnedImages::FromConfig(entries);
  EXPECT_TRUE(pinned.ok()) << pinned.status();
  return pinned.ok() ? *pinned : PinnedImages();
}

TEST(PinnedImagePattern, ParsesTheThreeForms) {
  using Form = config::PinnedImagePattern::Form;
  absl::StatusOr<config::PinnedImagePattern> exact = config::ParsePinnedImagePattern("Quay.io/App:1");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->form, Form::kExact);
  EXPECT_EQ(exact->text, "quay.io/app:1");
  absl::StatusOr<config::PinnedImagePattern> prefix = config::ParsePinnedImagePattern("quay.io/app*");
  ASSERT_TRUE(prefix.ok()) << prefix.status();
  EXPECT_EQ(prefix->form, Form::kPrefix);
  EXPECT_EQ(prefix->text, "quay.io/app");
  absl::StatusOr<config::PinnedImagePattern> keyword = config::ParsePinnedImagePattern("*pause*");
  ASSERT_TRUE(keyword.ok()) << keyword.status();
  EXPECT_EQ(keyword->form, Form::kKeyword);
  EXPECT_EQ(keyword->text, "pause");
}

TEST(PinnedImagePattern, RefusesWhatIsNotAPatternQuotingTheEntry) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "is empty"},
      {"*", "matches every image"},
      {"**", "matches every image"},
      {"***", "has a '*' inside"},
      {"*pause", "starts with '*' but does not end with one"},
      {"quay.io/*/app", "has a '*' inside"},
      {"quay.io/app**", "has a '*' inside"},
      {"quay.io/app *", "white space"},
      {" quay.io/app", "white space"},
  };
  for (const auto& [entry, reason] : cases) {
    absl::StatusOr<config::PinnedImagePattern> pattern = config::ParsePinnedImagePattern(entry);
    ASSERT_FALSE(pattern.ok()) << "\"" << entry << "\"";
    EXPECT_EQ(pattern.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(pattern.status().message()), HasSubstr("entry \"" + entry + "\""));
    EXPECT_THAT(std::string(pattern.status().message()), HasSubstr(reason)) << "\"" << entry << "\"";
  }
}

TEST(PinnedImages, ExactMatchesTheWholeNameOnly) {
  const PinnedImages pinned = Pins({"registry.k8s.io/pause:3.10"});
  EXPECT_TRUE(pinned.Matches("registry.k8s.io/pause:3.10"));
  EXPECT_TRUE(pinned.Matches("Registry.K8s.io/PAUSE:3.10"));  // without regard to case
  EXPECT_FALSE(pinned.Matches("registry.k8s.io/pause:3.10.1"));
  EXPECT_FALSE(pinned.Matches("registry.k8s.io/pause:3.1"));
  EXPECT_FALSE(pinned.Matches("mirror/registry.k8s.io/pause:3.10"));
  EXPECT_FALSE(pinned.Matches(""));
}

TEST(PinnedImages, GlobMatchesNamesStartingWithThePrefix) {
  const PinnedImages pinned = Pins({"registry.k8s.io/pause*"});
  EXPECT_TRUE(pinned.Matches("registry.k8s.io/pause:3.10"));
  EXPECT_TRUE(pinned.Matches("registry.k8s.io/pause"));  // '*' also matches nothing
  EXPECT_TRUE(pinned.Matches("registry.k8s.io/pause@sha256:0123"));
  EXPECT_TRUE(pinned.Matches("REGISTRY.k8s.io/pause-amd64:3.1"));
  EXPECT_FALSE(pinned.Matches("registry.k8s.io/paus"));
  EXPECT_FALSE(pinned.Matches("docker.io/registry.k8s.io/pause:3.10"));  // anchored at the start
}

TEST(PinnedImages, KeywordMatchesNamesContainingIt) {
  const PinnedImages pinned = Pins({"*Pause*"});
  EXPECT_TRUE(pinned.Matches("registry.k8s.io/pause:3.10"));
  EXPECT_TRUE(pinned.Matches("pause"));
  EXPECT_TRUE(pinned.Matches("docker.io/library/busybox:pause"));
  EXPECT_FALSE(pinned.Matches("registry.k8s.io/paus:3.10"));
}

TEST(PinnedImages, TheStarIsNotAWildcardForOtherCharacters) {
  // '.' and other regular-expression characters are literal.
  const PinnedImages pinned = Pins({"a.b/c*", "*x+y*"});
  EXPECT_TRUE(pinned.Matches("a.b/c:1"));
  EXPECT_FALSE(pinned.Matches("aXb/c:1"));
  EXPECT_TRUE(pinned.Matches("r/x+y:1"));
  EXPECT_FALSE(pinned.Matches("r/xxy:1"));
}

TEST(PinnedImages, NothingIsPinnedWithoutPatterns) {
  const PinnedImages none = Pins({});
  EXPECT_FALSE(none.Matches("registry.k8s.io/pause:3.10"));
  ImageRecord record;
  record.repo_tags = {"registry.k8s.io/pause:3.10"};
  EXPECT_FALSE(none.IsPinned(record));
  EXPECT_FALSE(PinnedImages().IsPinned(record));
}

TEST(PinnedImages, AnImageIsPinnedByAnyTagOrDigestButNotByItsId) {
  const std::string id = "sha256:" + std::string(64, 'a');
  const std::string digest = "sha256:" + std::string(64, 'b');
  ImageRecord record;
  record.id = id;
  record.repo_tags = {"127.0.0.1:5000/app:1", "127.0.0.1:5000/app:stable"};
  record.repo_digests = {"127.0.0.1:5000/app@" + digest};

  EXPECT_TRUE(Pins({"127.0.0.1:5000/app:stable"}).IsPinned(record));  // the second tag
  EXPECT_TRUE(Pins({"127.0.0.1:5000/app@" + digest}).IsPinned(record));
  EXPECT_TRUE(Pins({"other*", "*/app@*"}).IsPinned(record));  // any pattern
  EXPECT_FALSE(Pins({id}).IsPinned(record));
  EXPECT_FALSE(Pins({"*aaaaaaaa*"}).IsPinned(record));
  EXPECT_FALSE(Pins({"127.0.0.1:5000/app:2", "*other*"}).IsPinned(record));

  ImageRecord untagged;  // pulled by digest, then its tags moved to another image
  untagged.id = id;
  EXPECT_FALSE(Pins({"*app*"}).IsPinned(untagged));
}

TEST(PinnedImages, FromConfigNamesTheKeyAndTheEntry) {
  absl::StatusOr<PinnedImages> pinned = PinnedImages::FromConfig({"ok:1", "bad*pattern"});
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pinned.status().message()),
              HasSubstr("image.pinned_images: entry \"bad*pattern\" has a '*' inside"));
}

}  // namespace
}  // namespace cloison::image
