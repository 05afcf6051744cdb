// The image name cloison shows for a container (ContainerStatus.image.image, ListContainers'
// image, the io.kubernetes.cri.image-name annotation), chosen once at CreateContainer:
//  * ImageSpec.user_specified_image when set (kubelet puts the pod spec's image there);
//  * else, when ImageSpec.image names the image by its id (kubelet sends the id,
//    "sha256:<hex>"), the image's first repo tag, or its first repo digest when it has no
//    tag (as containerd shows a tag), or the id when it has neither;
//  * else ImageSpec.image as given (a tag or digest reference).
#pragma once

#include <string>

#include "cloison/cri/api.h"
#include "cloison/image/image_store.h"

namespace cloison::container {

std::string ShownImageName(const ::runtime::v1::ImageSpec& spec, const image::ImageRecord& image);

}  // namespace cloison::container
