// Serves a unary RPC through gRPC's "streamed unary" form so that its request and response
// live on one protobuf arena: a list answer of hundreds of items (each with ids, metadata,
// label and annotation maps) then costs a few block allocations instead of one per string
// and map node, and is freed at once. The answer is sent with the status, as a plain unary
// RPC sends it.
#pragma once

#include "google/protobuf/arena.h"
#include "grpcpp/support/status.h"
#include "grpcpp/support/sync_stream.h"

namespace cloison::server {

inline google::protobuf::ArenaOptions ListArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 16 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

// `handler(const Request&, Response*)` returns the call's grpc::Status, as a sync method does.
template <typename Request, typename Response, typename Handler>
grpc::Status ServeOnArena(grpc::ServerUnaryStreamer<Request, Response>* stream, Handler handler) {
  google::protobuf::Arena arena(ListArenaOptions());
  Request* request = google::protobuf::Arena::CreateMessage<Request>(&arena);
  if (!stream->Read(request)) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request");
  Response* response = google::protobuf::Arena::CreateMessage<Response>(&arena);
  grpc::Status status = handler(*request, response);
  if (status.ok()) stream->WriteLast(*response, grpc::WriteOptions());
  return status;
}

}  // namespace cloison::server
