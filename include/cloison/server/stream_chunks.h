// The Stream* list RPCs of KEP-5825 (StreamPodSandboxes, StreamContainers, StreamImages, the
// stats and metrics streams) send the answer of the matching List* call as a stream of
// chunks. Each message carries at least one item, in the List order, and at most
// kStreamChunkLimits.max_items items (containerd's batch of 5000) or max_bytes of them
// (2 MiB: under gRPC's default 4 MiB receive limit, far under kubelet's 16 MiB), whichever
// comes first; a single item larger than max_bytes goes alone. An empty answer sends no
// message at all, as containerd does: the stream just ends with OK.
#pragma once

#include <cstddef>
#include <utility>

#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/grpcpp.h"

namespace cloison::server {

struct StreamChunkLimits {
  int max_items;
  size_t max_bytes;  // of the chunk's items as encoded in the message, framing included
};

inline constexpr StreamChunkLimits kStreamChunkLimits{5000, size_t{2} << 20};

// Moves `items` into consecutive chunks within `limits` and hands each, in order, to `send`
// (bool(google::protobuf::RepeatedPtrField<Item>& chunk)). Stops and returns false as soon
// as `send` does; true when every item went out (or there was none).
template <typename Item, typename Send>
bool SendInChunks(google::protobuf::RepeatedPtrField<Item>& items, const StreamChunkLimits& limits, Send send) {
  constexpr size_t kFieldFraming = 6;  // an item's tag and length prefix in the message, at most
  google::protobuf::RepeatedPtrField<Item> chunk;
  size_t chunk_bytes = 0;
  for (Item& item : items) {
    const size_t item_bytes = item.ByteSizeLong() + kFieldFraming;
    if (!chunk.empty() && (chunk.size() >= limits.max_items || chunk_bytes + item_bytes > limits.max_bytes)) {
      if (!send(chunk)) return false;
      chunk.Clear();
      chunk_bytes = 0;
    }
    *chunk.Add() = std::move(item);
    chunk_bytes += item_bytes;
  }
  return chunk.empty() || send(chunk);
}

// The server side: writes `items` to `writer` as Response messages within
// kStreamChunkLimits, `field` (RepeatedPtrField<Item>*(Response&)) naming the response's
// repeated field. CANCELLED when the call is cancelled or the client stops reading.
template <typename Item, typename Response, typename Field>
grpc::Status WriteInChunks(grpc::ServerContext& context, google::protobuf::RepeatedPtrField<Item>& items,
                           grpc::ServerWriter<Response>& writer, Field field) {
  const bool complete = SendInChunks(items, kStreamChunkLimits, [&](google::protobuf::RepeatedPtrField<Item>& chunk) {
    if (context.IsCancelled()) return false;
    Response response;
    field(response)->Swap(&chunk);
    return writer.Write(response);
  });
  if (complete) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the call or stopped reading the stream");
}

}  // namespace cloison::server
