// The CRI ImageService: validates requests, calls the image manager, maps its errors to gRPC
// status codes. StreamImages sends the ListImages answer in chunks (server/stream_chunks.h).
#pragma once

#include "cloison/cri/api.h"
#include "cloison/image/image_manager.h"

namespace cloison::server {

class ImageService final : public ::runtime::v1::ImageService::Service {
 public:
  explicit ImageService(image::ImageManager& images) : images_(images) {}

  grpc::Status ListImages(grpc::ServerContext* context, const ::runtime::v1::ListImagesRequest* request,
                          ::runtime::v1::ListImagesResponse* response) override;
  grpc::Status StreamImages(grpc::ServerContext* context, const ::runtime::v1::StreamImagesRequest* request,
                            grpc::ServerWriter<::runtime::v1::StreamImagesResponse>* writer) override;
  grpc::Status ImageStatus(grpc::ServerContext* context, const ::runtime::v1::ImageStatusRequest* request,
                           ::runtime::v1::ImageStatusResponse* response) override;
  grpc::Status PullImage(grpc::ServerContext* context, const ::runtime::v1::PullImageRequest* request,
                         ::runtime::v1::PullImageResponse* response) override;
  grpc::Status RemoveImage(grpc::ServerContext* context, const ::runtime::v1::RemoveImageRequest* request,
                           ::runtime::v1::RemoveImageResponse* response) override;
  grpc::Status ImageFsInfo(grpc::ServerContext* context, const ::runtime::v1::ImageFsInfoRequest* request,
                           ::runtime::v1::ImageFsInfoResponse* response) override;

 private:
  image::ImageManager& images_;
};

}  // namespace cloison::server
