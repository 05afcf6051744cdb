#include "cloison/streaming/streaming_server.h"

#include <algorithm>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "attach_target.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/websocket.hpp"
#include "cloison/util/logging.h"
#include "exec_target.h"
#include "failed_target.h"
#include "spdy_session.h"
#include "websocket_port_forward.h"
#include "websocket_session.h"

namespace cloison::streaming {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kRequestTimeout = std::chrono::seconds(30);
// After a failed accept (EMFILE, ENFILE, ENOBUFS: the connection stays in the backlog, so
// accepting again at once fails again at once), the next try waits this long, doubled at each
// failure in a row up to kMaxAcceptBackoff, as Go's net/http server does.
constexpr auto kFirstAcceptBackoff = std::chrono::milliseconds(5);
constexpr auto kMaxAcceptBackoff = std::chrono::seconds(1);
constexpr char kPortForwardProtocol[] = "portforward.k8s.io";
// SPDY inside WebSocket binary messages (client-go's SPDY-over-WebSocket dialer, which crictl
// port-forward --transport websocket uses).
constexpr char kTunneledPortForwardProtocol[] = "SPDY/3.1+portforward.k8s.io";

struct Protocol {
  const char* name;
  int version;
  bool base64 = false;  // WebSocket: text messages, the channel as a digit and base64 data
};
// The client's order wins; these lists say what the server speaks.
constexpr Protocol kSpdyRemoteCommand[] = {
    {"v4.channel.k8s.io", 4}, {"v3.channel.k8s.io", 3}, {"v2.channel.k8s.io", 2}, {"channel.k8s.io", 1}};
constexpr Protocol kWebSocketRemoteCommand[] = {{"v5.channel.k8s.io", 5},
                                                {"v4.channel.k8s.io", 4},
                                                {"v4.base64.channel.k8s.io", 4, true},
                                                {"channel.k8s.io", 1},
                                                {"base64.channel.k8s.io", 1, true}};
constexpr Protocol kWebSocketPortForward[] = {{"v4.channel.k8s.io", 4},
                                              {"v4.base64.channel.k8s.io", 4, true},
                                              {kTunneledPortForwardProtocol, 1}};

// Every value of every `field` header, comma separated lists split.
std::vector<std::string> HeaderList(const http::request<http::string_body>& request, absl::string_view field) {
  std::vector<std::string> values;
  for (const auto& header : request) {
    if (!absl::EqualsIgnoreCase(absl::string_view(header.name_string().data(), header.name_string().size()), field)) {
      continue;
    }
    for (absl::string_view item : absl::StrSplit(absl::string_view(header.value().data(), header.value().size()), ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (!item.empty()) values.emplace_back(item);
    }
  }
  return values;
}

// The first of the client's protocols the server speaks; nullopt when none. An empty client
// list means the oldest protocol ("", version 1, binary), as Kubernetes allows.
template <size_t N>
std::optional<Protocol> Negotiate(const std::vector<std::string>& offered, const Protocol (&supported)[N]) {
  if (offered.empty()) return Protocol{"", 1};
  for (const std::string& name : offered) {
    for (const Protocol& protocol : supported) {
      if (name == protocol.name) return protocol;
    }
  }
  return std::nullopt;
}

template <size_t N>
std::string Names(const Protocol (&supported)[N]) {
  std::vector<std::string> names;
  for (const Protocol& protocol : supported) names.push_back(protocol.name);
  return absl::StrJoin(names, ", ");
}

// Every value of the query parameter `name` in `target`, comma separated lists split. Values
// are percent-decoded.
std::vector<std::string> QueryValues(absl::string_view target, absl::string_view name) {
  std::vector<std::string> values;
  const size_t question = target.find('?');
  if (question == absl::string_view::npos) return values;
  for (absl::string_view pair : absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name || equals == absl::string_view::npos) continue;
    std::string value;
    const absl::string_view raw = pair.substr(equals + 1);
    for (size_t i = 0; i < raw.size(); ++i) {
      int decoded = 0;
      if (raw[i] == '%' && i + 2 < raw.size() && absl::SimpleHexAtoi(raw.substr(i + 1, 2), &decoded)) {
        value += static_cast<char>(decoded);
        i += 2;
      } else {
        value += raw[i] == '+' ? ' ' : raw[i];
      }
    }
    for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) values.emplace_back(item);
  }
  return values;
}

// The most ports one WebSocket port forward serves: the i-th has channels 2i and 2i+1, and a
// channel is one byte.
constexpr size_t kMaxWebSocketForwardedPorts = 128;

// The ports a WebSocket port forward serves: the PortForward request's, else the URL's `port`
// query parameters. INVALID_ARGUMENT for none, one that is not 1-65535, or more than
// kMaxWebSocketForwardedPorts.
absl::StatusOr<std::vector<uint16_t>> ForwardedPorts(const PortForwardRequest& forward, absl::string_view target) {
  if (forward.ports.size() > kMaxWebSocketForwardedPorts) {
    return absl::InvalidArgumentError(absl::StrCat("port forwarding over WebSocket serves at most ",
                                                   kMaxWebSocketForwardedPorts, " ports; the request has ",
                                                   forward.ports.size()));
  }
  if (!forward.ports.empty()) return forward.ports;
  std::vector<uint16_t> ports;
  for (const std::string& text : QueryValues(target, "port")) {
    int port = 0;
    if (!absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter port: \"", text, "\" is not a port"));
    }
    ports.push_back(static_cast<uint16_t>(port));
    if (ports.size() > kMaxWebSocketForwardedPorts) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter port: more than ", kMaxWebSocketForwardedPorts,
                                                     " ports; port forwarding over WebSocket serves at most that"));
    }
  }
  if (ports.empty()) {
    return absl::InvalidArgumentError(
        "port forwarding over WebSocket needs the ports in the PortForward request or the query parameter port");
  }
  return ports;
}

bool IsSpdyUpgrade(const http::request<http::string_body>& request) {
  return absl::EqualsIgnoreCase(std::string(request[http::field::upgrade]), "SPDY/3.1");
}

}  // namespace

struct StreamingServer::Impl {
  Impl(Backend& backend_ref, std::chrono::seconds idle_timeout_value)
      : backend(backend_ref), idle_timeout(idle_timeout_value), acceptor(io), accept_retry(io) {}
  ~Impl() {
    io.stop();
    if (thread.joinable()) thread.join();
  }

  void Accept();
  // Accepts again after a failed accept, once the backoff has passed.
  void AcceptLater(const beast::error_code& failure);

  Backend& backend;
  const std::chrono::seconds idle_timeout;
  RequestCache cache;
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::chrono::milliseconds accept_backoff{0};  // zero while accepting succeeds
  std::string base_url;
  std::thread thread;
};

namespace {

// One HTTP connection until it is upgraded (or refused).
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, asio::io_context& io, RequestCache& cache, Backend& backend,
                 std::chrono::seconds idle_timeout)
      : stream_(std::move(socket)), io_(io), cache_(cache), backend_(backend), idle_timeout_(idle_timeout) {}

  void Run() {
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, request_, [self = shared_from_this()](const beast::error_code& ec, size_t) {
      if (!ec) self->Route();
    });
  }

 private:
  void Refuse(http::status status, const std::string& message, const std::string& accepted = "") {
    auto response = std::make_shared<http::response<http::string_body>>(status, request_.version());
    response->set(http::field::content_type, "text/plain; charset=utf-8");
    if (!accepted.empty()) response->set("X-Accepted-Stream-Protocol-Versions", accepted);
    response->keep_alive(false);
    response->body() = message + "\n";
    response->prepare_payload();
    http::async_write(stream_, *response, [self = shared_from_this(), response](const beast::error_code&, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  void Route() {
    const std::string target(request_.target());
    const std::vector<std::string> parts = absl::StrSplit(target.substr(0, target.find('?')), '/', absl::SkipEmpty());
    if (parts.size() != 2) return Refuse(http::status::not_found, "not found");
    absl::StatusOr<StreamRequest> request = cache_.Consume(parts[1]);
    if (!request.ok()) return Refuse(http::status::not_found, std::string(request.status().message()));
    const bool websocket = beast::websocket::is_upgrade(request_);
    if (!websocket && !IsSpdyUpgrade(request_)) {
      return Refuse(http::status::bad_request, "expected an upgrade to SPDY/3.1 or WebSocket");
    }
    if (const auto* exec = std::get_if<ExecRequest>(&*request); exec != nullptr && parts[0] == "exec") {
      return RemoteCommand(websocket, {0, exec->tty, exec->stdin, exec->stdout, exec->stderr}, [&]() {
        return StartExec(*exec);
      });
    }
    if (const auto* attach = std::get_if<AttachRequest>(&*request); attach != nullptr && parts[0] == "attach") {
      return RemoteCommand(websocket, {0, attach->tty, attach->stdin, attach->stdout, attach->stderr},
                           [&]() -> absl::StatusOr<std::shared_ptr<StreamTarget>> {
                             absl::StatusOr<std::string> dir = backend_.AttachSocketDir(attach->container_id);
                             if (!dir.ok()) return dir.status();
                             return AttachTarget::Connect(io_, *dir, attach->stdout, attach->stderr);
                           });
    }
    if (const auto* forward = std::get_if<PortForwardRequest>(&*request);
        forward != nullptr && parts[0] == "portforward") {
      return PortForward(websocket, *forward);
    }
    Refuse(http::status::not_found, "not found");
  }

  absl::StatusOr<std::shared_ptr<StreamTarget>> StartExec(const ExecRequest& exec) {
    absl::StatusOr<ExecPlan> plan = backend_.PrepareExec(exec);
    if (!plan.ok()) return plan.status();
    return ExecTarget::Spawn(io_, std::move(*plan), {exec.tty, exec.stdin, exec.stdout, exec.stderr});
  }

  template <typename MakeTarget>
  void RemoteCommand(bool websocket, RemoteCommandOptions options, MakeTarget make_target) {
    stream_.expires_never();  // the request is read; sessions end when idle (IdleDeadline)
    const std::vector<std::string> offered =
        HeaderList(request_, websocket ? "Sec-WebSocket-Protocol" : "X-Stream-Protocol-Version");
    const std::optional<Protocol> protocol =
        websocket ? Negotiate(offered, kWebSocketRemoteCommand) : Negotiate(offered, kSpdyRemoteCommand);
    if (!protocol) {
      const std::string accepted = websocket ? Names(kWebSocketRemoteCommand) : Names(kSpdyRemoteCommand);
      return Refuse(http::status::forbidden, absl::StrCat("unsupported streaming protocols; accepted: ", accepted),
                    websocket ? "" : accepted);
    }
    options.version = protocol->version;
    absl::StatusOr<std::shared_ptr<StreamTarget>> target = make_target();
    if (!target.ok()) {
      // Reported on the error stream once the client is connected, as Kubernetes does.
      spdlog::info("streaming: {}: {}", std::string(request_.target()), target.status());
      target = std::make_shared<FailedTarget>(target.status());
    }
    if (websocket) {
      std::make_shared<WebSocketRemoteCommand>(std::move(stream_), protocol->base64, std::move(*target), options)
          ->Run(std::move(request_), protocol->name, idle_timeout_);
      return;
    }
    UpgradeToSpdy(protocol->name, std::make_shared<SpdyRemoteCommand>(MakeTcpByteChannel(std::move(stream_.socket())),
                                                                      std::move(*target), options));
  }

  void PortForward(bool websocket, const PortForwardRequest& forward) {
    stream_.expires_never();
    if (websocket) return WebSocketPortForwardSession(forward);
    const std::vector<std::string> offered = HeaderList(request_, "X-Stream-Protocol-Version");
    if (!offered.empty() && std::find(offered.begin(), offered.end(), kPortForwardProtocol) == offered.end()) {
      return Refuse(http::status::forbidden, "unsupported streaming protocols", kPortForwardProtocol);
    }
    absl::StatusOr<std::string> netns = PodNetns(forward);
    if (!netns.ok()) return;
    UpgradeToSpdy(offered.empty() ? "" : kPortForwardProtocol,
                  std::make_shared<SpdyPortForward>(MakeTcpByteChannel(std::move(stream_.socket())), *netns));
  }

  // Port forwarding for a WebSocket client: SPDY tunnelled in the WebSocket, or the channel
  // protocol.
  void WebSocketPortForwardSession(const PortForwardRequest& forward) {
    const std::optional<Protocol> protocol =
        Negotiate(HeaderList(request_, "Sec-WebSocket-Protocol"), kWebSocketPortForward);
    if (!protocol) {
      return Refuse(http::status::forbidden, absl::StrCat("unsupported streaming protocols; accepted: ",
                                                          Names(kWebSocketPortForward)));
    }
    if (std::string(protocol->name) == kTunneledPortForwardProtocol) {
      absl::StatusOr<std::string> netns = PodNetns(forward);
      if (!netns.ok()) return;
      auto channel = std::make_unique<WebSocketByteChannel>(std::move(stream_));
      WebSocketByteChannel* raw = channel.get();
      auto session = std::make_shared<SpdyPortForward>(std::move(channel), *netns);
      raw->Accept(std::move(request_), protocol->name, [session, idle_timeout = idle_timeout_](bool accepted) {
        if (accepted) session->Start("", "", idle_timeout);
      });
      return;
    }
    absl::StatusOr<std::vector<uint16_t>> ports = ForwardedPorts(forward, absl::string_view(request_.target().data(), request_.target().size()));
    if (!ports.ok()) return Refuse(http::status::bad_request, std::string(ports.status().message()));
    absl::StatusOr<std::string> netns = PodNetns(forward);
    if (!netns.ok()) return;
    std::make_shared<WebSocketPortForward>(std::move(stream_), protocol->base64, *netns, std::move(*ports))
        ->Run(std::move(request_), protocol->name, idle_timeout_);
  }

  // The pod's network namespace; refuses the request (404 for a pod that is gone) when there is none.
  absl::StatusOr<std::string> PodNetns(const PortForwardRequest& forward) {
    absl::StatusOr<std::string> netns = backend_.PodNetns(forward.pod_id);
    if (!netns.ok()) {
      Refuse(absl::IsNotFound(netns.status()) ? http::status::not_found : http::status::internal_server_error,
             std::string(netns.status().message()));
    }
    return netns;
  }

  // Answers 101 on the session's socket, then starts the session with what the HTTP parser
  // read past the request.
  void UpgradeToSpdy(const std::string& protocol, std::shared_ptr<SpdySession> session) {
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
    if (!protocol.empty()) absl::StrAppend(&response, "X-Stream-Protocol-Version: ", protocol, "\r\n");
    response += "\r\n";
    std::string leftover = beast::buffers_to_string(buffer_.data());
    session->Start(std::move(leftover), std::move(response), idle_timeout_);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  asio::io_context& io_;
  RequestCache& cache_;
  Backend& backend_;
  const std::chrono::seconds idle_timeout_;
};

}  // namespace

void StreamingServer::Impl::Accept() {
  acceptor.async_accept([this](const beast::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) return AcceptLater(ec);
    accept_backoff = std::chrono::milliseconds(0);
    std::make_shared<HttpConnection>(std::move(socket), io, cache, backend, idle_timeout)->Run();
    Accept();
  });
}

void StreamingServer::Impl::AcceptLater(const beast::error_code& failure) {
  if (accept_backoff.count() == 0) {
    spdlog::warn("streaming server: accepting a connection: {}; retrying", failure.message());
    accept_backoff = kFirstAcceptBackoff;
  } else {
    accept_backoff = std::min<std::chrono::milliseconds>(2 * accept_backoff, kMaxAcceptBackoff);
  }
  accept_retry.expires_after(accept_backoff);
  accept_retry.async_wait([this](const beast::error_code& ec) {
    if (!ec) Accept();
  });
}

StreamingServer::StreamingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StreamingServer::~StreamingServer() = default;

absl::StatusOr<std::unique_ptr<StreamingServer>> StreamingServer::Start(const std::string& address, int port,
                                                                        std::chrono::seconds idle_timeout,
                                                                        Backend& backend) {
  auto impl = std::make_unique<Impl>(backend, idle_timeout);
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("streaming.address: \"", address, "\" is not an IP address"));
  const tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("streaming server: cannot listen on ", endpoint.address().to_string(),
                                               ":", port, ": ", ec.message()));
  }
  const tcp::endpoint bound = impl->acceptor.local_endpoint();
  const std::string host = ip.is_v6() ? absl::StrCat("[", ip.to_string(), "]") : ip.to_string();
  impl->base_url = absl::StrCat("http://", host, ":", bound.port());
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<StreamingServer>(new StreamingServer(std::move(impl)));
}

absl::StatusOr<std::string> StreamingServer::Url(StreamRequest request) {
  const char* kind = std::holds_alternative<ExecRequest>(request)     ? "exec"
                     : std::holds_alternative<AttachRequest>(request) ? "attach"
                                                                      : "portforward";
  absl::StatusOr<std::string> token = impl_->cache.Insert(std::move(request));
  if (!token.ok()) return token.status();
  return absl::StrCat(impl_->base_url, "/", kind, "/", *token);
}

const std::string& StreamingServer::base_url() const { return impl_->base_url; }

}  // namespace cloison::streaming
