// Serves a unary RPC on gRPC's sync server threads with an answer that is already wire bytes
// (a serialized response message), handed to gRPC without a copy. The method is installed in
// its service's slot as gRPC's "streamed unary" form (one Read of the request, one Write of
// the answer, sent with the status); WireAnswer's SerializationTraits pass the bytes through.
// `answer(const Request&, std::string& wire)` returns the call's grpc::Status and writes the
// answer's bytes; nothing but the status is sent when it is not OK.
//
// Why not the generated raw callback methods: any callback method makes gRPC 1.51 run two
// more polling threads (its "nexting" threads for callbacks), and every call, callback or
// sync, then passes between more threads (about 6 context switches per call against about 4
// with sync methods only, measured on cloisond; docs/performance.md).
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"

namespace cloison::server {

// An answer's wire bytes; the buffer's slices are shared, not copied, when gRPC sends it.
struct WireAnswer {
  grpc::ByteBuffer bytes;
};

// A ByteBuffer that owns `bytes` (one slice over the string, freed with the buffer).
inline grpc::ByteBuffer OwningByteBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

template <typename Request>
using WireAnswerFn = std::function<grpc::Status(const Request&, std::string& wire)>;

// The handler to give grpc::Service::MarkMethodStreamed for the method's index.
template <typename Request>
grpc::internal::MethodHandler* NewWireUnaryHandler(WireAnswerFn<Request> answer) {
  using Streamer = grpc::ServerUnaryStreamer<Request, WireAnswer>;
  return new grpc::internal::StreamedUnaryHandler<Request, WireAnswer>(
      [answer = std::move(answer)](grpc::ServerContext*, Streamer* stream) {
        Request request;
        if (!stream->Read(&request)) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request: unreadable");
        std::string wire;
        grpc::Status status = answer(request, wire);
        if (status.ok()) stream->Write(WireAnswer{OwningByteBuffer(std::move(wire))}, grpc::WriteOptions().set_last_message());
        return status;
      });
}

}  // namespace cloison::server

// Sends a WireAnswer's bytes as they are. Answers are only sent: reading one is an error.
template <>
class grpc::SerializationTraits<cloison::server::WireAnswer> {
 public:
  static grpc::Status Serialize(const cloison::server::WireAnswer& answer, grpc::ByteBuffer* buffer, bool* own_buffer) {
    *buffer = answer.bytes;
    *own_buffer = true;
    return grpc::Status::OK;
  }
  static grpc::Status Deserialize(grpc::ByteBuffer*, cloison::server::WireAnswer*) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "a wire answer is not read");
  }
};
