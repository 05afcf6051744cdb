#include "websocket_session.h"

#include "cloison/streaming/exit_status.h"
#include "cloison/streaming/terminal_size.h"

namespace cloison::streaming {
namespace {

constexpr uint8_t kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4, kClose = 255;

}  // namespace

WebSocketRemoteCommand::WebSocketRemoteCommand(boost::beast::tcp_stream stream, bool base64,
                                               std::shared_ptr<StreamTarget> target, RemoteCommandOptions options)
    : WebSocketChannels(std::move(stream), base64),
      target_(std::move(target)),
      options_(options),
      stdin_budget_(kMaxHeldInput, [this](bool hold) { HoldReading(hold); }) {}

std::shared_ptr<WebSocketRemoteCommand> WebSocketRemoteCommand::self() {
  return std::static_pointer_cast<WebSocketRemoteCommand>(shared_from_this());
}

void WebSocketRemoteCommand::OnOpen() {
  // An empty message on the lowest channel written tells the client the streams are ready.
  Send(options_.stdout ? kStdout : options_.stderr ? kStderr : kError, "");
  target_->Start(
      [self = self()](int stream, std::string data, std::function<void()> next) {
        self->Send(stream == 1 ? kStdout : kStderr, std::move(data), std::move(next));
      },
      [self = self()](absl::StatusOr<int> exit_code) { self->Done(exit_code); });
}

void WebSocketRemoteCommand::OnMessage(uint8_t channel, std::string data) {
  if (done_) return;
  if (channel == kStdin) {
    if (!options_.stdin) return;
    const auto size = static_cast<int64_t>(data.size());
    stdin_budget_.Take(size);
    target_->WriteStdin(std::move(data), stdin_budget_.GiveLater(size));
  } else if (channel == kResize) {
    if (const std::optional<TerminalSize> size = ParseTerminalSize(data)) target_->Resize(size->width, size->height);
  } else if (channel == kClose && options_.version >= 5 && !data.empty() && data[0] == kStdin) {
    target_->CloseStdin();
  }
}

void WebSocketRemoteCommand::Done(const absl::StatusOr<int>& exit_code) {
  if (done_) return;
  done_ = true;
  const std::string payload = options_.version >= 4 ? StatusJson(exit_code) : StatusText(exit_code);
  if (!payload.empty()) Send(kError, payload);
  Close();
}

void WebSocketRemoteCommand::OnGone() {
  if (done_) return;
  done_ = true;
  target_->Cancel();
}

}  // namespace cloison::streaming
