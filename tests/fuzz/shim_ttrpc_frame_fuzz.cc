// Bytes from a shim's ttrpc connection (a kata shim is another project's binary): frames are
// taken off the front as the client and the events server read them. Each must encode back to
// the bytes it came from, and its data decodes as what either side expects there: a Response
// (the client), a Request carrying an events ForwardRequest and its task event (the server).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/shim/ttrpc_frame.h"
#include "containerd/events/task.pb.h"
#include "containerd/services/ttrpc/events/v1/events.pb.h"
#include "ttrpc/request.pb.h"

namespace {

void DecodePayloads(const cloison::shim::TtrpcFrame& frame) {
  ttrpc::Response response;
  if (response.ParseFromString(frame.data)) (void)response.SerializeAsString();
  ttrpc::Request request;
  if (!request.ParseFromString(frame.data)) return;
  containerd::services::events::ttrpc::v1::ForwardRequest forward;
  if (!forward.ParseFromString(request.payload())) return;
  containerd::events::TaskExit exit;
  if (exit.ParseFromString(forward.envelope().event().value())) (void)exit.container_id().size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  while (true) {
    size_t consumed = 0;
    absl::StatusOr<cloison::shim::TtrpcFrame> frame = cloison::shim::DecodeFrame(input, consumed);
    if (!frame.ok()) break;
    if (consumed < cloison::shim::kTtrpcHeaderSize || consumed > input.size()) std::abort();
    absl::StatusOr<std::string> encoded = cloison::shim::EncodeFrame(
        frame->stream_id, static_cast<cloison::shim::FrameType>(frame->type), frame->flags, frame->data);
    if (!encoded.ok() || *encoded != input.substr(0, consumed)) std::abort();
    input.remove_prefix(consumed);
    DecodePayloads(*frame);
  }
  return 0;
}
