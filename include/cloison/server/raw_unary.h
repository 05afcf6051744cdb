// Serves a unary RPC in the generated WithRawCallbackMethod_ form, whose request and answer
// are wire bytes: the request is parsed into its message, `answer(const Request&, std::string&
// wire)` returns the call's grpc::Status and writes the serialized answer, and the call
// finishes with those bytes, handed to gRPC without a copy (nothing is sent but the status
// when the status is not OK).
#pragma once

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace cloison::server {

// A ByteBuffer that owns `bytes` (one slice over the string, freed with the buffer).
inline grpc::ByteBuffer OwningByteBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

template <typename Request, typename Answer>
grpc::ServerUnaryReactor* ServeRaw(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* answer_bytes, Answer answer) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::ByteBuffer request_copy(*request_bytes);  // shares the slices
  Request request;
  grpc::Status status = grpc::GenericDeserialize<grpc::ProtoBufferReader, Request>(&request_copy, &request);
  if (status.ok()) {
    std::string wire;
    status = answer(request, wire);
    if (status.ok()) *answer_bytes = OwningByteBuffer(std::move(wire));
  }
  reactor->Finish(status);
  return reactor;
}

}  // namespace cloison::server
