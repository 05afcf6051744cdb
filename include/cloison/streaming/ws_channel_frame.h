// One message of Kubernetes' WebSocket channel protocols. Binary protocols (channel.k8s.io,
// v4.channel.k8s.io, ...): the first byte is the channel number, the rest the data. Base64
// protocols (base64.channel.k8s.io, v4.base64.channel.k8s.io): a text message whose first byte
// is '0' + channel and whose rest is the data in standard base64 (with padding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace cloison::streaming {

struct ChannelMessage {
  uint8_t channel = 0;
  std::string data;
};

std::string EncodeChannelMessage(bool base64, uint8_t channel, absl::string_view data);

// nullopt for an empty message, or base64 data that does not decode.
std::optional<ChannelMessage> DecodeChannelMessage(bool base64, absl::string_view message);

}  // namespace cloison::streaming
