#include "cloison/shim/ttrpc_client.h"

#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloison/shim/ttrpc_frame.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"
#include "ttrpc/request.pb.h"

namespace cloison::shim {
absl::string_view SocketPath(absl::string_view address) {
  absl::ConsumePrefix(&address, "unix://");
  return address;
}

namespace {

// One connect() attempt; the errno on failure.
int TryConnect(const util::UnixAddress& address, util::UniqueFd& out) {
  util::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno;
  if (connect(fd.get(), address.get(), address.length) != 0) return errno;
  out = std::move(fd);
  return 0;
}

absl::Status StatusFromResponse(const ttrpc::Response& response) {
  if (!response.has_status() || response.status().code() == 0) return absl::OkStatus();
  const int code = response.status().code();
  const absl::StatusCode absl_code =
      code > 0 && code <= 16 ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
  return absl::Status(absl_code, response.status().message());
}

class UnixTtrpcClient final : public TtrpcClient {
 public:
  explicit UnixTtrpcClient(util::UniqueFd fd) : fd_(std::move(fd)), reader_([this] { ReadLoop(); }) {}

  ~UnixTtrpcClient() override {
    shutdown(fd_.get(), SHUT_RDWR);
    reader_.join();
  }

  absl::StatusOr<std::string> Call(absl::string_view service, absl::string_view method, std::string payload,
                                   std::chrono::milliseconds timeout, const TtrpcMetadata& metadata) override {
    ttrpc::Request request;
    request.set_service(std::string(service));
    request.set_method(std::string(method));
    request.set_payload(std::move(payload));
    if (timeout.count() > 0) request.set_timeout_nano(std::chrono::nanoseconds(timeout).count());
    for (const auto& [key, value] : metadata) {
      ttrpc::KeyValue* entry = request.add_metadata();
      entry->set_key(key);
      entry->set_value(value);
    }

    Pending pending;
    uint32_t stream_id = 0;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return absl::UnavailableError(absl::StrCat("ttrpc connection closed: ", close_reason_));
      stream_id = next_stream_id_;
      next_stream_id_ += 2;
      pending_[stream_id] = &pending;
    }
    absl::StatusOr<std::string> frame = EncodeFrame(stream_id, FrameType::kRequest, 0, request.SerializeAsString());
    absl::Status sent = frame.status();
    if (sent.ok()) {
      absl::MutexLock write_lock(&write_mu_);
      sent = WriteFrame(fd_.get(), *frame);
    }

    absl::MutexLock lock(&mu_);
    if (!sent.ok()) {
      pending_.erase(stream_id);
      return sent;
    }
    if (timeout.count() > 0) {
      mu_.AwaitWithTimeout(absl::Condition(&pending.done), absl::FromChrono(timeout));
    } else {
      mu_.Await(absl::Condition(&pending.done));
    }
    if (!pending.done) {
      pending_.erase(stream_id);
      return absl::DeadlineExceededError(
          absl::StrCat("ttrpc ", service, "/", method, " got no answer within ", timeout.count(), " ms"));
    }
    return std::move(pending.result);
  }

  bool closed() const override {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  struct Pending {
    bool done = false;
    absl::StatusOr<std::string> result;
  };

  void ReadLoop() {
    while (true) {
      absl::StatusOr<TtrpcFrame> frame = ReadFrame(fd_.get());
      if (!frame.ok()) {
        FailAll(frame.status().message());
        return;
      }
      if (frame->type != static_cast<uint8_t>(FrameType::kResponse)) continue;
      ttrpc::Response response;
      absl::StatusOr<std::string> result;
      if (!response.ParseFromString(frame->data)) {
        result = absl::InternalError("ttrpc: undecodable Response");
      } else if (absl::Status status = StatusFromResponse(response); !status.ok()) {
        result = status;
      } else {
        result = std::move(*response.mutable_payload());
      }
      absl::MutexLock lock(&mu_);
      auto it = pending_.find(frame->stream_id);
      if (it == pending_.end()) continue;  // the caller timed out
      it->second->result = std::move(result);
      it->second->done = true;
      pending_.erase(it);
    }
  }

  void FailAll(absl::string_view reason) {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    close_reason_ = std::string(reason);
    for (auto& [id, pending] : pending_) {
      pending->result = absl::UnavailableError(absl::StrCat("ttrpc connection closed: ", reason));
      pending->done = true;
    }
    pending_.clear();
  }

  util::UniqueFd fd_;
  absl::Mutex write_mu_;
  mutable absl::Mutex mu_;
  uint32_t next_stream_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint32_t, Pending*> pending_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::string close_reason_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;  // last: starts once the members above exist
};

}  // namespace

bool ConnectWorthRetrying(int error, Listener listener) {
  if (error == EAGAIN) return true;
  return listener == Listener::kMayBeStarting && (error == ENOENT || error == ECONNREFUSED);
}

absl::StatusOr<std::unique_ptr<TtrpcClient>> TtrpcClient::Connect(absl::string_view address,
                                                                  std::chrono::milliseconds timeout,
                                                                  Listener listener) {
  const absl::StatusOr<util::UnixAddress> socket_address =
      util::UnixSocketAddress(SocketPath(address), "ttrpc address");
  if (!socket_address.ok()) return socket_address.status();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    util::UniqueFd fd;
    const int error = TryConnect(*socket_address, fd);
    if (error == 0) return std::unique_ptr<TtrpcClient>(new UnixTtrpcClient(std::move(fd)));
    if (!ConnectWorthRetrying(error, listener) || std::chrono::steady_clock::now() >= deadline) {
      return util::SystemCallErrorOf(absl::StatusCode::kUnavailable, error,
                                     absl::StrCat("connecting to ttrpc ", address));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace cloison::shim
