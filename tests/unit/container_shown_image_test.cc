#include <gtest/gtest.h>

#include "cloison/container/shown_image.h"

namespace cloison::container {
namespace {

const std::string kId = "sha256:" + std::string(64, 'a');

image::ImageRecord Image(std::vector<std::string> tags, std::vector<std::string> digests) {
  image::ImageRecord image;
  image.id = kId;
  image.repo_tags = std::move(tags);
  image.repo_digests = std::move(digests);
  return image;
}

::runtime::v1::ImageSpec Spec(const std::string& image, const std::string& user_specified = "") {
  ::runtime::v1::ImageSpec spec;
  spec.set_image(image);
  spec.set_user_specified_image(user_specified);
  return spec;
}

TEST(ShownImageName, TheUserSpecifiedImageWins) {
  EXPECT_EQ(ShownImageName(Spec(kId, "busybox"), Image({"docker.io/library/busybox:1.36"}, {})), "busybox");
}

TEST(ShownImageName, AnIdShowsTheFirstRepoTag) {
  const image::ImageRecord image = Image({"r.example/app:1", "r.example/app:latest"}, {"r.example/app@sha256:bb"});
  EXPECT_EQ(ShownImageName(Spec(kId), image), "r.example/app:1");
  EXPECT_EQ(ShownImageName(Spec(std::string(64, 'a')), image), "r.example/app:1");  // the bare hex
}

TEST(ShownImageName, AnIdWithoutTagShowsARepoDigestElseItself) {
  EXPECT_EQ(ShownImageName(Spec(kId), Image({}, {"r.example/app@sha256:bb"})), "r.example/app@sha256:bb");
  EXPECT_EQ(ShownImageName(Spec(kId), Image({}, {})), kId);
}

TEST(ShownImageName, AReferenceIsShownAsGiven) {
  const image::ImageRecord image = Image({"docker.io/library/busybox:1.36"}, {});
  EXPECT_EQ(ShownImageName(Spec("busybox:1.36"), image), "busybox:1.36");
  EXPECT_EQ(ShownImageName(Spec("busybox@sha256:cc"), image), "busybox@sha256:cc");
}

}  // namespace
}  // namespace cloison::container
