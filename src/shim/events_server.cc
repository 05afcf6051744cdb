#include "cloison/shim/events_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <list>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloison/shim/ttrpc_frame.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"
#include "cloison/util/unix_socket.h"
#include "containerd/events/task.pb.h"
#include "containerd/services/ttrpc/events/v1/events.pb.h"
#include "ttrpc/request.pb.h"

namespace cloison::shim {
namespace {

constexpr char kEventsService[] = "containerd.services.events.ttrpc.v1.Events";
constexpr int kNotImplemented = 12;  // gRPC UNIMPLEMENTED

// The last path element of a type URL: "containerd.events.TaskExit" for both the bare name
// and a prefixed form.
absl::string_view TypeName(absl::string_view type_url) {
  const size_t slash = type_url.rfind('/');
  return slash == absl::string_view::npos ? type_url : type_url.substr(slash + 1);
}

ShimEvent DecodeEnvelope(const containerd::types::Envelope& envelope) {
  ShimEvent event;
  event.ns = envelope.namespace_();
  event.topic = envelope.topic();
  const absl::string_view type = TypeName(envelope.event().type_url());
  const std::string& value = envelope.event().value();
  if (type == "containerd.events.TaskExit") {
    containerd::events::TaskExit exit;
    if (exit.ParseFromString(value)) {
      event.container_id = exit.container_id();
      event.exit_status = exit.exit_status();
    }
  } else if (type == "containerd.events.TaskOOM") {
    containerd::events::TaskOOM oom;
    if (oom.ParseFromString(value)) event.container_id = oom.container_id();
  } else if (type == "containerd.events.TaskStart") {
    containerd::events::TaskStart start;
    if (start.ParseFromString(value)) event.container_id = start.container_id();
  } else if (type == "containerd.events.TaskDelete") {
    containerd::events::TaskDelete deleted;
    if (deleted.ParseFromString(value)) event.container_id = deleted.container_id();
  }
  return event;
}

struct Connection {
  util::UniqueFd fd;
  std::thread thread;
  std::atomic<bool> finished{false};
};

}  // namespace

struct EventsServer::Impl {
  std::string path;
  Callback on_event;
  util::UniqueFd listen_fd;
  util::UniqueFd wake_fd;  // an eventfd: readable once the server stops
  std::thread acceptor;
  std::list<Connection> connections;  // only the acceptor thread and the destructor touch it
  absl::Mutex callback_mu;            // one callback at a time, whichever connection it came from

  // The Response payload for one Request (an empty message, or a status).
  std::string Dispatch(const ttrpc::Request& request) {
    ttrpc::Response response;
    if (request.service() != kEventsService || request.method() != "Forward") {
      response.mutable_status()->set_code(kNotImplemented);
      response.mutable_status()->set_message(
          absl::StrCat(request.service(), "/", request.method(), " is not implemented"));
      return response.SerializeAsString();
    }
    containerd::services::events::ttrpc::v1::ForwardRequest forward;
    if (!forward.ParseFromString(request.payload())) {
      response.mutable_status()->set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
      response.mutable_status()->set_message("undecodable ForwardRequest");
      return response.SerializeAsString();
    }
    const ShimEvent event = DecodeEnvelope(forward.envelope());
    {
      absl::MutexLock lock(&callback_mu);
      on_event(event);
    }
    return response.SerializeAsString();
  }

  void Serve(Connection& connection) {
    while (true) {
      absl::StatusOr<TtrpcFrame> frame = ReadFrame(connection.fd.get());
      if (!frame.ok()) break;
      if (frame->type != static_cast<uint8_t>(FrameType::kRequest)) continue;
      ttrpc::Request request;
      if (!request.ParseFromString(frame->data)) break;
      absl::StatusOr<std::string> answer =
          EncodeFrame(frame->stream_id, FrameType::kResponse, 0, Dispatch(request));
      if (!answer.ok() || !WriteFrame(connection.fd.get(), *answer).ok()) break;
    }
    connection.finished = true;
  }

  void ReapFinished() {
    for (auto it = connections.begin(); it != connections.end();) {
      if (!it->finished) {
        ++it;
        continue;
      }
      it->thread.join();
      it = connections.erase(it);
    }
  }

  void Accept() {
    while (true) {
      pollfd fds[2] = {{listen_fd.get(), POLLIN, 0}, {wake_fd.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      util::UniqueFd fd(accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd.valid()) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));  // out of fds: no busy loop
        }
        continue;
      }
      ReapFinished();
      Connection& connection = connections.emplace_back();
      connection.fd = std::move(fd);
      try {
        connection.thread = std::thread([this, &connection] { Serve(connection); });
      } catch (const std::system_error&) {
        // No thread to serve it (a process or system limit): the connection is closed, and the
        // acceptor goes on rather than ending cloisond with the exception.
        connections.pop_back();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
};

EventsServer::EventsServer(std::string socket_path, Callback on_event) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(socket_path);
  impl_->on_event = std::move(on_event);
}

EventsServer::~EventsServer() {
  if (impl_->acceptor.joinable()) {
    eventfd_write(impl_->wake_fd.get(), 1);
    impl_->acceptor.join();
  }
  for (Connection& connection : impl_->connections) shutdown(connection.fd.get(), SHUT_RDWR);
  for (Connection& connection : impl_->connections) connection.thread.join();
  if (impl_->listen_fd.valid()) unlink(impl_->path.c_str());
}

absl::Status EventsServer::Start() {
  if (impl_->listen_fd.valid()) return absl::FailedPreconditionError("events server already started");
  const absl::StatusOr<util::UnixAddress> address = util::UnixSocketFileAddress(impl_->path, "events socket path");
  if (!address.ok()) return address.status();
  if (absl::Status s = util::PrepareListenPath(impl_->path); !s.ok()) return s;
  util::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return util::SystemCallError("socket");
  if (bind(fd.get(), address->get(), address->length) != 0) {
    return util::SystemCallError("bind ", impl_->path);
  }
  if (chmod(impl_->path.c_str(), 0600) != 0 || listen(fd.get(), 64) != 0) {
    const int error = errno;
    unlink(impl_->path.c_str());
    return util::SystemCallErrorOf(error, absl::StrCat("listening on ", impl_->path));
  }
  impl_->wake_fd.reset(eventfd(0, EFD_CLOEXEC));
  if (!impl_->wake_fd.valid()) {
    const int error = errno;
    unlink(impl_->path.c_str());
    return util::SystemCallErrorOf(error, "eventfd");
  }
  impl_->listen_fd = std::move(fd);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->Accept(); });
  return absl::OkStatus();
}

}  // namespace cloison::shim
