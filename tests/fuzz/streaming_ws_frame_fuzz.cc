// A WebSocket channel message from a streaming client: the first byte picks the framing (odd:
// the base64 subprotocols, even: binary), the rest is the message. A message that decodes must
// encode back to one that decodes the same; a binary one to the very same bytes.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "cloison/streaming/ws_channel_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool base64 = (data[0] & 1) != 0;
  const absl::string_view message(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::optional<cloison::streaming::ChannelMessage> decoded =
      cloison::streaming::DecodeChannelMessage(base64, message);
  if (!decoded) return 0;
  const std::string encoded = cloison::streaming::EncodeChannelMessage(base64, decoded->channel, decoded->data);
  if (!base64 && encoded != message) std::abort();
  const std::optional<cloison::streaming::ChannelMessage> again =
      cloison::streaming::DecodeChannelMessage(base64, encoded);
  if (!again || again->channel != decoded->channel || again->data != decoded->data) std::abort();
  return 0;
}
