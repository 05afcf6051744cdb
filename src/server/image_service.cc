#include "cloison/server/image_service.h"

#include <malloc.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "cloison/server/grpc_status.h"
#include "cloison/server/stream_chunks.h"
#include "nlohmann/json.hpp"

namespace cloison::server {
namespace {

namespace v1 = ::runtime::v1;

void FillImage(const image::ImageRecord& record, bool pinned, v1::Image& out) {
  out.set_id(record.id);
  for (const std::string& tag : record.repo_tags) out.add_repo_tags(tag);
  for (const std::string& digest : record.repo_digests) out.add_repo_digests(digest);
  out.set_size(static_cast<uint64_t>(record.size));
  if (record.uid) out.mutable_uid()->set_value(*record.uid);
  out.set_username(record.username);
  out.mutable_spec()->set_image(record.id);
  out.set_pinned(pinned);
}

grpc::Status MissingImageName(absl::string_view field) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat(field, " is empty: name an image"));
}

}  // namespace

grpc::Status ImageService::ListImages(grpc::ServerContext*, const v1::ListImagesRequest* request,
                                      v1::ListImagesResponse* response) {
  const std::string& wanted = request->filter().image().image();
  if (!wanted.empty()) {
    absl::StatusOr<image::ImageRecord> record = images_.Find(wanted);
    if (record.ok()) FillImage(*record, images_.IsPinned(*record), *response->add_images());
    return grpc::Status::OK;
  }
  for (const image::ImageRecord& record : images_.List()) {
    FillImage(record, images_.IsPinned(record), *response->add_images());
  }
  return grpc::Status::OK;
}

grpc::Status ImageService::StreamImages(grpc::ServerContext* context, const v1::StreamImagesRequest* request,
                                        grpc::ServerWriter<v1::StreamImagesResponse>* writer) {
  v1::ListImagesRequest list_request;
  *list_request.mutable_filter() = request->filter();
  v1::ListImagesResponse list;
  if (grpc::Status status = ListImages(context, &list_request, &list); !status.ok()) return status;
  return WriteInChunks(*context, *list.mutable_images(), *writer,
                       [](v1::StreamImagesResponse& chunk) { return chunk.mutable_images(); });
}

grpc::Status ImageService::ImageStatus(grpc::ServerContext*, const v1::ImageStatusRequest* request,
                                       v1::ImageStatusResponse* response) {
  if (request->image().image().empty()) return MissingImageName("image.image");
  absl::StatusOr<image::ImageRecord> record = images_.Find(request->image().image());
  if (absl::IsNotFound(record.status())) return grpc::Status::OK;  // kubelet expects an empty answer
  if (!record.ok()) return ToGrpcStatus(record.status());
  FillImage(*record, images_.IsPinned(*record), *response->mutable_image());
  if (request->verbose()) {
    nlohmann::json layers = nlohmann::json::array();
    for (const image::LayerRecord& layer : record->layers) {
      layers.push_back({{"digest", layer.digest}, {"mediaType", layer.media_type}, {"size", layer.size}});
    }
    nlohmann::json info = {{"imageId", record->id},
                           {"manifestDigest", record->manifest_digest},
                           {"layers", layers}};
    absl::StatusOr<std::string> config = images_.ReadConfig(*record);
    if (config.ok()) info["config"] = nlohmann::json::parse(*config, nullptr, false);
    (*response->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status ImageService::PullImage(grpc::ServerContext*, const v1::PullImageRequest* request,
                                     v1::PullImageResponse* response) {
  if (request->image().image().empty()) return MissingImageName("image.image");
  const v1::AuthConfig& auth = request->auth();
  absl::StatusOr<image::Credentials> credentials = image::CredentialsFromAuthConfig(
      auth.username(), auth.password(), auth.auth(), auth.identity_token(), auth.registry_token(),
      auth.server_address());
  if (!credentials.ok()) return ToGrpcStatus(credentials.status());
  absl::StatusOr<image::ImageRecord> record = images_.Pull(request->image().image(), *credentials);
  // The pull's download and unpack buffers went back to the malloc arenas of the threads that
  // pulled, which keep them (about 1.5 MiB after a 100 MiB pull, docs/performance.md); hand
  // them back to the kernel (malloc_trim covers every arena).
  malloc_trim(0);
  if (!record.ok()) {
    return ToGrpcStatus(absl::Status(record.status().code(), absl::StrCat("pulling image \"", request->image().image(),
                                                                          "\": ", record.status().message())));
  }
  response->set_image_ref(record->id);
  return grpc::Status::OK;
}

grpc::Status ImageService::RemoveImage(grpc::ServerContext*, const v1::RemoveImageRequest* request,
                                       v1::RemoveImageResponse*) {
  if (request->image().image().empty()) return MissingImageName("image.image");
  const absl::Status status = images_.Remove(request->image().image());
  if (absl::IsNotFound(status)) return grpc::Status::OK;  // removal is idempotent
  return ToGrpcStatus(status);
}

grpc::Status ImageService::ImageFsInfo(grpc::ServerContext*, const v1::ImageFsInfoRequest*,
                                       v1::ImageFsInfoResponse* response) {
  const image::StoreUsage usage = images_.Usage();
  v1::FilesystemUsage* fs = response->add_image_filesystems();
  fs->set_timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  fs->mutable_fs_id()->set_mountpoint(usage.mountpoint);
  fs->mutable_used_bytes()->set_value(usage.used_bytes);
  fs->mutable_inodes_used()->set_value(usage.inodes_used);
  return grpc::Status::OK;
}

}  // namespace cloison::server
