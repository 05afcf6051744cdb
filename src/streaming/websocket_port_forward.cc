#include "websocket_port_forward.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "boost/asio/write.hpp"
#include "cloison/streaming/netns_dial.h"
#include "close_quietly.h"

namespace cloison::streaming {
namespace {

namespace asio = boost::asio;

std::string LittleEndian(uint16_t port) {
  return {static_cast<char>(port & 0xff), static_cast<char>(port >> 8)};
}

}  // namespace

WebSocketPortForward::WebSocketPortForward(boost::beast::tcp_stream stream, bool base64, std::string netns_path,
                                           std::vector<uint16_t> ports)
    : WebSocketChannels(std::move(stream), base64),
      netns_path_(std::move(netns_path)),
      to_pod_(kMaxHeldInput, [this](bool hold) { HoldReading(hold); }) {
  for (uint16_t port : ports) ports_.push_back(Port{port, nullptr, {}, false, false});
}

std::shared_ptr<WebSocketPortForward> WebSocketPortForward::self() {
  return std::static_pointer_cast<WebSocketPortForward>(shared_from_this());
}

void WebSocketPortForward::OnOpen() {
  for (size_t i = 0; i < ports_.size(); ++i) {
    const uint8_t data = static_cast<uint8_t>(2 * i);
    Send(data, LittleEndian(ports_[i].number));
    Send(data + 1, LittleEndian(ports_[i].number));
  }
  for (size_t i = 0; i < ports_.size(); ++i) {
    absl::StatusOr<util::UniqueFd> conn = DialInNetns(netns_path_, ports_[i].number);
    if (!conn.ok()) {
      Send(static_cast<uint8_t>(2 * i + 1),
           absl::StrCat("error forwarding port ", ports_[i].number, " to pod: ", conn.status().message()));
      End(i);
      continue;
    }
    ports_[i].conn = std::make_shared<asio::posix::stream_descriptor>(io(), conn->release());
    ReadConn(i);
  }
  if (ports_.empty()) Close();
}

void WebSocketPortForward::ReadConn(size_t index) {
  Port& port = ports_[index];
  if (port.ended) return;
  auto buffer = std::make_shared<std::string>(32 * 1024, '\0');
  port.conn->async_read_some(asio::buffer(*buffer), [self = self(), index, buffer, conn = port.conn](
                                                        const boost::system::error_code& ec, size_t n) {
    if (!conn->is_open() || self->ports_[index].ended) return;
    if (ec || n == 0) return self->End(index);
    buffer->resize(n);
    self->Send(static_cast<uint8_t>(2 * index), std::move(*buffer), [self, index] { self->ReadConn(index); });
  });
}

void WebSocketPortForward::OnMessage(uint8_t channel, std::string data) {
  // Only data channels carry anything from the client; error channels are the server's.
  if (channel % 2 != 0 || channel / 2 >= ports_.size() || data.empty()) return;
  const size_t index = channel / 2;
  if (ports_[index].ended) return;
  to_pod_.Take(static_cast<int64_t>(data.size()));
  ports_[index].pending.push_back(std::move(data));
  WriteConn(index);
}

void WebSocketPortForward::WriteConn(size_t index) {
  Port& port = ports_[index];
  if (!port.conn || port.writing || port.pending.empty()) return;
  // The chunk in flight belongs to the write's handler: End may drop what is pending before it runs.
  auto chunk = std::make_shared<std::string>(std::move(port.pending.front()));
  port.pending.pop_front();
  port.writing = true;
  asio::async_write(*port.conn, asio::buffer(*chunk),
                    [self = self(), index, conn = port.conn, chunk](const boost::system::error_code& ec, size_t) {
                      self->to_pod_.Give(static_cast<int64_t>(chunk->size()));
                      if (!conn->is_open()) return;
                      Port& written = self->ports_[index];
                      written.writing = false;
                      if (ec) return self->End(index);
                      self->WriteConn(index);
                    });
}

void WebSocketPortForward::End(size_t index) {
  Port& port = ports_[index];
  if (port.ended) return;
  port.ended = true;
  if (port.conn) CloseQuietly(*port.conn);
  // What was pending for it is dropped (a chunk being written is its handler's).
  int64_t dropped = 0;
  for (const std::string& chunk : port.pending) dropped += static_cast<int64_t>(chunk.size());
  to_pod_.Give(dropped);
  port.pending.clear();
  if (std::all_of(ports_.begin(), ports_.end(), [](const Port& p) { return p.ended; })) Close();
}

void WebSocketPortForward::OnGone() {
  for (Port& port : ports_) {
    port.ended = true;
    if (port.conn) CloseQuietly(*port.conn);
  }
}

}  // namespace cloison::streaming
