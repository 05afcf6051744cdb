#include "cloison/streaming/ws_channel_frame.h"

#include "absl/strings/escaping.h"

namespace cloison::streaming {

std::string EncodeChannelMessage(bool base64, uint8_t channel, absl::string_view data) {
  if (!base64) {
    std::string message(1, static_cast<char>(channel));
    message.append(data.data(), data.size());
    return message;
  }
  return std::string(1, static_cast<char>('0' + channel)) + absl::Base64Escape(data);
}

std::optional<ChannelMessage> DecodeChannelMessage(bool base64, absl::string_view message) {
  if (message.empty()) return std::nullopt;
  ChannelMessage decoded;
  if (!base64) {
    decoded.channel = static_cast<uint8_t>(message[0]);
    decoded.data = std::string(message.substr(1));
    return decoded;
  }
  decoded.channel = static_cast<uint8_t>(message[0] - '0');
  if (!absl::Base64Unescape(message.substr(1), &decoded.data)) return std::nullopt;
  return decoded;
}

}  // namespace cloison::streaming
