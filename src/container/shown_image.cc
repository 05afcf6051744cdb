#include "cloison/container/shown_image.h"

#include "absl/strings/str_cat.h"

namespace cloison::container {

std::string ShownImageName(const ::runtime::v1::ImageSpec& spec, const image::ImageRecord& image) {
  if (!spec.user_specified_image().empty()) return spec.user_specified_image();
  const std::string& given = spec.image();
  const bool by_id = given == image.id || absl::StrCat("sha256:", given) == image.id;
  if (!by_id) return given;
  if (!image.repo_tags.empty()) return image.repo_tags.front();
  if (!image.repo_digests.empty()) return image.repo_digests.front();
  return given;
}

}  // namespace cloison::container
