// Crash and race exploration of the streaming server on real runc: each round runs a pod with
// two containers ("main": httpd on 127.0.0.1:8080 and a ticking loop; "victim": a ticking loop),
// has four client threads open random sessions at once (exec over WebSocket v4/v5/base64 or
// SPDY, tty or not, stdin or not; attach; port forwarding over SPDY or WebSocket to a listening
// and a non-listening port; URLs used late or twice; tokens never issued) that behave well or
// badly (complete, vanish mid-stream, leave before the streams start, half-close, stop reading
// while the process writes a lot, send resizes, garbage or an oversize frame), while the main
// thread disrupts at a random moment (StopContainer or RemoveContainer of the victim,
// StopPodSandbox, RemovePodSandbox, SIGKILL of the exec'd processes, of the victim's process,
// or of cloisond, restarted afterwards).
// After each round: every session ended by itself (no client watchdog fired) with the output
// and exit code its command gives when nothing disrupted it; cloisond answers (Version,
// ListContainers), its threads and open descriptors came back to their level before the round
// within kThreadSlack and kFdSlack (after a SIGKILL of cloisond, to the restarted daemon's),
// it has no unreaped child; no exec'd process, runtime exec, exec work directory (but after a
// SIGKILL of cloisond: CheckSettled) or attach client is left; the pod stops and goes leaving
// no mount, process, pod cgroup or record.
// Rounds come from a fixed seed list; CLOISON_STREAM_CHAOS_SEEDS=<n>,<n>... replays others.
// After it, the deterministic regression tests of what the rounds found.
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "chaos_rounds.h"
#include "streaming_harness.h"

namespace cloison::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kCommittedSeeds[] = {3, 17, 29, 104, 2024, 31337};

// Per round: client threads, sessions per thread, and how long a client may wait for a session
// to end before it counts as hung.
constexpr int kClientThreads = 4;
constexpr int kSessionsPerThread = 3;
constexpr auto kSessionDeadline = std::chrono::seconds(15);
// Threads and descriptors cloisond may hold after a round over its level before it (gRPC's
// thread pool grows and shrinks with the calls in flight).
constexpr int kThreadSlack = 3;
constexpr int kFdSlack = 2;

std::vector<uint32_t> Seeds() { return ChaosSeeds("CLOISON_STREAM_CHAOS_SEEDS", kCommittedSeeds); }

int CountOf(const fs::path& dir) { return static_cast<int>(EntriesOf(dir).size()); }

long RssKiB(pid_t pid) {
  std::istringstream status(ReadText("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// CPU time (user and system, in clock ticks) process `pid` used so far.
long CpuTicks(pid_t pid) {
  const std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // from field 3, the state
  std::string field;
  long ticks = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14 || n == 15) ticks += std::stol(field);
  }
  return ticks;
}

// The processes of the host whose cgroup path names `container_id` (the container's own).
std::vector<int> ProcessesOfContainer(const std::string& container_id) {
  std::vector<int> pids;
  for (const std::string& name : EntriesOf("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (ReadText("/proc/" + name + "/cgroup").find(container_id) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

// cloisond's children that exited and that it has not reaped.
std::vector<int> ZombieChildrenOf(pid_t parent) {
  std::vector<int> zombies;
  for (const std::string& name : EntriesOf("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(std::stoi(name));
    if (stat.ok() && stat->ppid == parent && stat->state == 'Z') zombies.push_back(std::stoi(name));
  }
  return zombies;
}

// An exec command of the rounds; each of their processes is told apart from the containers'
// own by its command line (ExecProcessesIn).
enum class Command { kQuick, kCat, kBigOutput, kEndlessOutput, kSleep, kTerminalSize };

constexpr char kQuickScript[] = "echo out; echo err >&2; exit 7";

std::vector<std::string> ArgvOf(Command command, size_t big_bytes, const std::string& tag) {
  switch (command) {
    case Command::kQuick:
      return {"/bin/busybox", "sh", "-c", kQuickScript};
    case Command::kCat:
      return {"/bin/busybox", "cat"};
    case Command::kBigOutput:
      return {"/bin/busybox", "head", "-c", std::to_string(big_bytes), "/dev/zero"};
    case Command::kEndlessOutput:
      return {"/bin/busybox", "yes", "chaos"};
    case Command::kSleep:
      return {"/bin/busybox", "sleep", "1001"};
    case Command::kTerminalSize:
      return SttySizeAfterALine(tag);
  }
  return {};
}

// The exit code a v4/v5 error stream reports (0 for Success); -1 for any other status, which
// ExitCodeOf (streaming_harness.h) would throw on.
int ExitCodeIn(const std::string& status_json) {
  const nlohmann::json status = nlohmann::json::parse(status_json, nullptr, false);
  if (!status.is_object()) return -1;
  if (status.value("status", "") == "Success") return 0;
  if (status.value("reason", "") != "NonZeroExitCode") return -1;
  const nlohmann::json causes = status.value("details", nlohmann::json::object()).value("causes", nlohmann::json());
  if (!causes.is_array() || causes.empty() || !causes[0].is_object()) return -1;
  int code = -1;
  return absl::SimpleAtoi(causes[0].value("message", ""), &code) ? code : -1;
}

// What a client does with its session.
enum class Behavior {
  kComplete,   // reads to the end (sends its stdin and closes it first)
  kDrop,       // closes its socket after the first message, without a close frame
  kHalfClose,  // shuts its sending side down, then reads to the end
  kStall,      // reads nothing for a while (the process writes), then drops
  kGarbage,    // sends garbage, then reads to the end (quick commands) or drops
  kOversize,   // sends an oversize frame, then reads to the end
  kLeaveEarly,  // goes before the command's streams start: SPDY after opening only the error
                // stream, WebSocket right after sending its upgrade request
};

const char* NameOf(Behavior behavior) {
  static const char* const kNames[] = {"complete", "drop",     "half-close", "stall",
                                       "garbage",  "oversize", "leave-early"};
  return kNames[static_cast<int>(behavior)];
}

class StreamingChaos : public Streaming {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // a client writing to a session the server dropped
    Streaming::SetUp();
  }

  // What a round disrupts, at a random moment while the sessions run.
  enum class Disruption {
    kNone,
    kStopVictim,
    kRemoveVictim,
    kStopPod,
    kRemovePod,
    kKillExecs,
    kKillVictim,
    kKillCloisond
  };
  static const char* NameOf(Disruption disruption) {
    static const char* const kNames[] = {"none",     "StopContainer victim", "RemoveContainer victim",
                                         "StopPodSandbox", "RemovePodSandbox", "SIGKILL execs",
                                         "SIGKILL victim", "SIGKILL cloisond"};
    return kNames[static_cast<int>(disruption)];
  }
  // Whether `container`, or cloisond, may go this round (an attach then ends by itself).
  bool MayGo(const std::string& container) const {
    return disruption_ == Disruption::kKillExecs ? false : Disrupted(container);
  }
  // Whether sessions on `container` may end otherwise than their command says.
  bool Disrupted(const std::string& container) const {
    switch (disruption_) {
      case Disruption::kNone:
        return false;
      case Disruption::kStopVictim:
      case Disruption::kRemoveVictim:
      case Disruption::kKillVictim:
        return container == victim_;
      default:
        return true;
    }
  }

  std::string CgroupPrefix() const { return "cloison-schaos-" + std::to_string(getpid()) + "-"; }

  // The pod cgroup directories (of any mounted hierarchy) this test's pods made and left.
  std::vector<std::string> PodCgroupsLeft() const {
    std::vector<std::string> left;
    for (const std::string& hierarchy : EntriesOf("/sys/fs/cgroup")) {
      for (const std::string& name : EntriesOf(fs::path("/sys/fs/cgroup") / hierarchy)) {
        if (name.rfind(CgroupPrefix(), 0) == 0) left.push_back(hierarchy + "/" + name);
      }
    }
    return left;
  }

  void SetUpRound() {
    v1::PodSandboxConfig config = PodConfig("schaos-" + std::to_string(round_), log_dir_);
    config.mutable_linux()->set_cgroup_parent("/" + CgroupPrefix() + std::to_string(round_));
    const TestPod pod = RunPod(config, handler_);
    ASSERT_FALSE(pod.id.empty());
    pod_id_ = pod.id;
    main_ = PodFixture::RunContainer(
        pod, "main-" + std::to_string(round_),
        {"/bin/busybox", "sh", "-c",
         "mkdir -p /tmp/www && echo hello-chaos > /tmp/www/index.html && "
         "/bin/busybox httpd -p 127.0.0.1:8080 -h /tmp/www && "
         "while true; do echo tick; /bin/busybox sleep 0.05; done"});
    victim_ = PodFixture::RunContainer(pod, "victim-" + std::to_string(round_),
                                       {"/bin/busybox", "sh", "-c",
                                        "while true; do echo tock; /bin/busybox sleep 0.05; done",
                                        VictimTag()});
    ASSERT_TRUE(Listening(main_, 8080)) << Ps(main_);
  }
  std::string VictimTag() const { return "victim-" + std::to_string(getpid()) + "-" + std::to_string(round_); }

  // cloisond's thread and descriptor counts.
  std::pair<int, int> DaemonUsage() const {
    const fs::path proc = "/proc/" + std::to_string(daemon_.pid());
    return {CountOf(proc / "task"), CountOf(proc / "fd")};
  }

  void Fail(const std::string& what) {
    std::lock_guard lock(mu_);
    failures_.push_back(what);
  }
  void Note(const std::string& what) {
    std::lock_guard lock(mu_);
    sessions_.push_back(what);
  }

  // --- sessions ----------------------------------------------------------------------------

  // One random session of a client thread.
  void RandomSession(std::mt19937& random, const std::string& base_url) {
    const std::string container = random() % 10 < 7 ? main_ : victim_;
    switch (random() % 12) {
      case 0:
      case 1:
      case 2:
      case 3:
        return ExecSession(random, container, true);
      case 4:
      case 5:
      case 6:
        return ExecSession(random, container, false);
      case 7:
        return AttachSession(random, container);
      case 8:
        return SpdyPortForwardSession(random);
      case 9:
        return WebSocketPortForwardSession(random);
      case 10:
        return LateOrReusedUrlSession(random);
      default:
        return BogusTokenSession(random, base_url);
    }
  }

  struct ExecChoice {
    Command command;
    Behavior behavior;
    bool tty = false;
    bool stdin = false;
    bool ends_by_itself = false;  // without the client leaving
    size_t big_bytes = 0;
    std::string tag;  // kTerminalSize's, to find its terminal
  };

  // A command, its stdio and a client behavior that together end by themselves (or by the
  // client leaving), never a session that would wait for ever.
  static ExecChoice ChooseExec(std::mt19937& random, bool can_close_stdin) {
    ExecChoice choice;
    choice.command = static_cast<Command>(random() % 6);
    choice.tty = choice.command == Command::kTerminalSize || random() % 4 == 0;
    choice.stdin = choice.command == Command::kCat || choice.command == Command::kTerminalSize || random() % 3 == 0;
    choice.big_bytes = 1 + random() % (8 << 20);
    choice.ends_by_itself = choice.command == Command::kQuick || choice.command == Command::kBigOutput ||
                            choice.command == Command::kTerminalSize ||
                            (choice.command == Command::kCat && can_close_stdin);
    std::vector<Behavior> allowed = {Behavior::kDrop,    Behavior::kHalfClose, Behavior::kStall,
                                     Behavior::kOversize, Behavior::kGarbage,   Behavior::kLeaveEarly};
    if (choice.ends_by_itself) allowed.insert(allowed.end(), {Behavior::kComplete, Behavior::kComplete});
    choice.behavior = allowed[random() % allowed.size()];
    return choice;
  }

  // Checks what a completed session got against what its command does.
  void CheckExecResult(const ExecChoice& choice, const std::string& where, const std::string& out,
                       const std::string& err, const std::string& status, bool status_is_json) {
    if (status_is_json && status.empty()) return Fail(where + ": no status on the error stream");
    const int code = status_is_json ? ExitCodeIn(status) : (status.empty() ? 0 : -1);
    switch (choice.command) {
      case Command::kQuick:
        if (status_is_json && code != 7) Fail(where + ": exit code " + std::to_string(code) + " " + status);
        if (!choice.tty && out != "out\n") Fail(where + ": stdout \"" + out + "\"");
        if (!choice.tty && err != "err\n") Fail(where + ": stderr \"" + err + "\"");
        break;
      case Command::kBigOutput:
        if (code != 0) Fail(where + ": exit code " + std::to_string(code) + " " + status);
        if (!choice.tty && out.size() != choice.big_bytes) {
          Fail(where + ": " + std::to_string(out.size()) + " of " + std::to_string(choice.big_bytes) + " bytes");
        }
        break;
      case Command::kCat:
        if (code != 0) Fail(where + ": exit code " + std::to_string(code) + " " + status);
        if (!choice.tty && out != "hello chaos\n") Fail(where + ": stdout \"" + out + "\"");
        break;
      case Command::kTerminalSize:
        if (code != 0) Fail(where + ": exit code " + std::to_string(code) + " " + status);
        if (out.find("33 99") == std::string::npos) Fail(where + ": stdout \"" + out + "\"");
        break;
      default:
        break;
    }
  }

  void ExecSession(std::mt19937& random, const std::string& container, bool websocket) {
    static const char* const kWsProtocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io"};
    const std::string protocol = websocket ? kWsProtocols[random() % 3] : "v4.channel.k8s.io";
    const bool v5 = protocol == "v5.channel.k8s.io";
    ExecChoice choice = ChooseExec(random, !websocket || v5);
    choice.tag = "chaos-" + std::to_string(getpid()) + "-" + std::to_string(++sessions_started_);
    std::string url;
    const grpc::Status status = ExecUrl(container, ArgvOf(choice.command, choice.big_bytes, choice.tag), choice.tty,
                                        choice.stdin, true, !choice.tty, &url);
    const std::string where =
        absl::StrCat(websocket ? "ws " : "spdy ", protocol, " exec ", static_cast<int>(choice.command),
                     choice.tty ? " tty" : "", choice.stdin ? " stdin" : "", " ", testing::NameOf(choice.behavior),
                     " on ", container.substr(0, 8));
    Note(where);
    if (!status.ok()) {
      // The container or the pod may be gone, or cloisond down.
      if (!Disrupted(container)) Fail(where + ": Exec: " + status.error_message());
      return;
    }
    if (websocket) return WebSocketExec(random, choice, url, protocol, where, Disrupted(container));
    SpdyExec(random, choice, url, where, Disrupted(container));
  }

  void WebSocketExec(std::mt19937& random, const ExecChoice& choice, const std::string& url,
                     const std::string& protocol, const std::string& where, bool disrupted) {
    const bool base64 = protocol.find("base64") != std::string::npos;
    if (choice.behavior == Behavior::kLeaveEarly) {
      const Url parsed = ParseUrl(url);
      const util::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(parsed.port);
      inet_pton(AF_INET, parsed.host.c_str(), &addr.sin_addr);
      if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
      const std::string request = "GET " + parsed.path + " HTTP/1.1\r\nHost: " + parsed.host +
                                  "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: " +
                                  protocol + "\r\n\r\n";
      (void)write(fd.get(), request.data(), request.size());
      return;  // closes the socket
    }
    WsClient ws(kSessionDeadline);
    if (ws.Open(url, protocol) != 101) {
      if (!disrupted) Fail(where + ": no upgrade");
      return;
    }
    auto send = [&](int channel, const std::string& data) {
      if (base64) {
        return ws.TrySendRaw(std::string(1, static_cast<char>('0' + channel)) + absl::Base64Escape(data), true);
      }
      return ws.TrySend(static_cast<char>(channel), data);
    };
    std::map<int, std::string> channels;
    auto read_to_end = [&] {
      while (std::optional<std::string> message = ws.Read()) {
        if (message->empty()) continue;
        if (base64) {
          std::string decoded;
          absl::Base64Unescape(message->substr(1), &decoded);
          channels[(*message)[0] - '0'] += decoded;
        } else {
          channels[static_cast<unsigned char>((*message)[0])] += message->substr(1);
        }
      }
    };
    switch (choice.behavior) {
      case Behavior::kComplete:
      case Behavior::kGarbage: {
        if (choice.behavior == Behavior::kGarbage) {
          send(9, "nobody listens here");
          send(4, "{\"Width\": -1, \"Height\": \"x\"}");
          send(4, std::string(3000, '{'));
          ws.TrySendRaw("", false);
          ws.TrySendRaw(std::string(1, static_cast<char>(255)) + "\x07", false);
          if (!base64) ws.TrySendRaw("text in a binary protocol", true);
          if (base64) ws.TrySendRaw("0!!!not base64!!!", true);
        }
        if (choice.command == Command::kTerminalSize) {
          send(4, R"({"Width":99,"Height":33})");
          // The line goes once the terminal has the size (or the exec is gone).
          WaitUntil([&] { return TerminalSizeOf(choice.tag) == "33 99"; }, std::chrono::seconds(5));
          send(0, "go\r");
        }
        if (choice.command == Command::kCat) {
          send(0, "hello ");
          send(0, "chaos\n");
          send(255, std::string(1, '\0'));  // v5: stdin closed
        } else if (choice.stdin && choice.command != Command::kTerminalSize) {
          send(0, "ignored input\n");
        }
        if (!choice.ends_by_itself) {
          std::this_thread::sleep_for(std::chrono::milliseconds(random() % 500));
          return ws.Drop();
        }
        read_to_end();
        if (ws.timed_out()) return Fail(where + ": the session did not end");
        if (!disrupted) CheckExecResult(choice, where, channels[1], channels[2], channels[3], true);
        return;
      }
      case Behavior::kDrop:
      case Behavior::kLeaveEarly:  // gone above
        (void)ws.Read();
        return ws.Drop();
      case Behavior::kHalfClose:
        (void)ws.Read();
        ws.HalfClose();
        read_to_end();
        if (ws.timed_out()) Fail(where + ": the session did not end after the client's half-close");
        return;
      case Behavior::kStall:
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + random() % 1500));
        return ws.Drop();
      case Behavior::kOversize:
        ws.TrySendRaw(std::string(1, '\0') + std::string((17 << 20), 'x'), false);  // Beast's limit is 16 MiB
        read_to_end();
        if (ws.timed_out()) Fail(where + ": the session did not end after an oversize message");
        return;
    }
  }

  void SpdyExec(std::mt19937& random, const ExecChoice& choice, const std::string& url, const std::string& where,
                bool disrupted) {
    SpdyClient client(kSessionDeadline, true);
    if (client.Open(url, {"v4.channel.k8s.io"}) != 101) {
      if (!disrupted) Fail(where + ": no upgrade: " + client.head());
      return;
    }
    const uint32_t error = client.OpenStream({{"streamtype", "error"}});
    if (choice.behavior == Behavior::kLeaveEarly) {
      (void)client.Next();  // the SYN_REPLY: the server has the stream
      return client.Drop();
    }
    const uint32_t in = choice.stdin ? client.OpenStream({{"streamtype", "stdin"}}) : 0;
    const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
    const uint32_t err = choice.tty ? 0 : client.OpenStream({{"streamtype", "stderr"}});
    const uint32_t resize = choice.tty ? client.OpenStream({{"streamtype", "resize"}}) : 0;
    std::map<uint32_t, std::string> data;
    auto read_to_end = [&] { data = client.ReadAll(); };
    switch (choice.behavior) {
      case Behavior::kComplete:
      case Behavior::kGarbage: {
        if (choice.behavior == Behavior::kGarbage) {
          if (resize != 0) client.Send(resize, std::string(5000, 'z') + "\n{\"Width\":1e999}\n");
          client.Send(error, "the client does not write here");
          client.Send(977, "a stream nobody opened");
          client.SendRaw(std::string("\x80\x03\x00\x63\x00\x00\x00\x04xxxx", 12));  // an unknown control frame
        }
        if (choice.command == Command::kTerminalSize) {
          client.Send(resize, "{\"Width\":99,\"Height\":33}\n");
          WaitUntil([&] { return TerminalSizeOf(choice.tag) == "33 99"; }, std::chrono::seconds(5));
          client.Send(in, "go\r");
        }
        if (choice.command == Command::kCat) {
          client.Send(in, "hello ");
          client.Send(in, "chaos\n", true);
        } else if (in != 0 && choice.command != Command::kTerminalSize) {
          client.Send(in, "ignored input\n", random() % 2 == 0);
        }
        if (!choice.ends_by_itself) {
          std::this_thread::sleep_for(std::chrono::milliseconds(random() % 500));
          return client.Drop();
        }
        read_to_end();
        if (client.timed_out()) return Fail(where + ": the session did not end");
        if (!disrupted) CheckExecResult(choice, where, data[out], data[err], data[error], true);
        return;
      }
      case Behavior::kDrop:
      case Behavior::kLeaveEarly:  // gone above
        (void)client.Next();
        return client.Drop();
      case Behavior::kHalfClose:
        client.HalfClose();
        read_to_end();
        if (client.timed_out()) Fail(where + ": the session did not end after the client's half-close");
        return;
      case Behavior::kStall:
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + random() % 1500));
        return client.Drop();
      case Behavior::kOversize:
        // A header block that inflates past the server's 1 MiB bound.
        client.OpenStream({{"streamtype", "stdout"}, {"padding", std::string(2 << 20, 'p')}});
        read_to_end();
        if (client.timed_out()) Fail(where + ": the session did not end after an oversize header block");
        return;
    }
  }

  void AttachSession(std::mt19937& random, const std::string& container) {
    const bool websocket = random() % 2 == 0;
    const bool disrupted = Disrupted(container);
    // 0: reads a while, then goes; 1: reads nothing, then goes; 2: half-closes and reads to the
    // end; 3 (only when its container may go this round): reads to the end.
    const int behavior = static_cast<int>(random() % (MayGo(container) ? 4 : 3));
    const std::string where =
        absl::StrCat(websocket ? "ws" : "spdy", " attach ", behavior, " on ", container.substr(0, 8));
    Note(where);
    grpc::ClientContext context;
    v1::AttachRequest request;
    request.set_container_id(container);
    request.set_stdout(true);
    request.set_stderr(true);
    v1::AttachResponse response;
    const grpc::Status status = runtime_->Attach(&context, request, &response);
    if (!status.ok()) {
      if (!disrupted) Fail(where + ": Attach: " + status.error_message());
      return;
    }
    const auto pause = std::chrono::milliseconds(200 + random() % 1500);
    if (websocket) {
      WsClient ws(kSessionDeadline);
      if (ws.Open(response.url(), "v4.channel.k8s.io") != 101) {
        if (!disrupted) Fail(where + ": no upgrade");
        return;
      }
      if (behavior == 0) {
        const auto until = std::chrono::steady_clock::now() + pause;
        while (std::chrono::steady_clock::now() < until && ws.Read()) {
        }
        return ws.Drop();
      }
      if (behavior == 1) {
        std::this_thread::sleep_for(pause);
        return ws.Drop();
      }
      if (behavior == 2) ws.HalfClose();  // the server takes it for the client leaving
      (void)ws.ReadAll();
      if (ws.timed_out()) Fail(where + ": the session did not end");
      return;
    }
    SpdyClient client(kSessionDeadline, true);
    if (client.Open(response.url(), {"v4.channel.k8s.io"}) != 101) {
      if (!disrupted) Fail(where + ": no upgrade");
      return;
    }
    client.OpenStream({{"streamtype", "error"}});
    client.OpenStream({{"streamtype", "stdout"}});
    client.OpenStream({{"streamtype", "stderr"}});
    if (behavior == 0) {
      const auto until = std::chrono::steady_clock::now() + pause;
      while (std::chrono::steady_clock::now() < until && client.Next()) {
      }
      return client.Drop();
    }
    if (behavior == 1) {
      std::this_thread::sleep_for(pause);
      return client.Drop();
    }
    if (behavior == 2) client.HalfClose();
    (void)client.ReadAll();
    if (client.timed_out()) Fail(where + ": the session did not end");
  }

  void SpdyPortForwardSession(std::mt19937& random) {
    const int pairs = 1 + static_cast<int>(random() % 6);
    const int behavior = static_cast<int>(random() % 4);  // 0, 1: complete; 2: drop; 3: garbage
    const std::string where = absl::StrCat("spdy port-forward ", pairs, " pairs, behavior ", behavior);
    Note(where);
    std::string url;
    {
      grpc::ClientContext context;
      v1::PortForwardRequest request;
      request.set_pod_sandbox_id(pod_id_);
      request.add_port(8080);
      v1::PortForwardResponse response;
      const grpc::Status status = runtime_->PortForward(&context, request, &response);
      if (!status.ok()) {
        if (!Disrupted(main_)) Fail(where + ": PortForward: " + status.error_message());
        return;
      }
      url = response.url();
    }
    SpdyClient client(kSessionDeadline, true);
    if (client.Open(url, {"portforward.k8s.io"}) != 101) {
      if (!Disrupted(main_)) Fail(where + ": no upgrade: " + client.head());
      return;
    }
    struct Expected {
      uint32_t error = 0, data = 0;
      bool listening = false;
    };
    std::vector<Expected> expected;
    for (int n = 0; n < pairs; ++n) {
      const bool listening = random() % 3 != 0;
      const std::string port = listening ? "8080" : "8081";
      Expected pair;
      pair.listening = listening;
      pair.error = client.OpenStream({{"streamtype", "error"}, {"port", port}, {"requestid", std::to_string(n)}});
      pair.data = client.OpenStream({{"streamtype", "data"}, {"port", port}, {"requestid", std::to_string(n)}});
      if (listening) client.Send(pair.data, "GET / HTTP/1.0\r\n\r\n");
      expected.push_back(pair);
    }
    if (behavior == 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
      return client.Drop();
    }
    if (behavior == 3) {
      // A SPDY/2 control frame: a protocol error.
      client.SendRaw(std::string("\x80\x02\x00\x01\x00\x00\x00\x0a", 8) + std::string(10, '\x01'));
      (void)client.ReadAll();
      if (client.timed_out()) Fail(where + ": the session did not end after a garbage frame");
      return;
    }
    // Reads until every stream ended, then goes (a port-forward connection never ends by itself).
    std::map<uint32_t, std::string> received;
    std::set<uint32_t> open;
    for (const Expected& pair : expected) open.insert({pair.error, pair.data});
    while (!open.empty()) {
      std::optional<spdy::Frame> frame = client.Next();
      if (!frame) break;
      if (frame->type != spdy::FrameType::kData) continue;
      received[frame->stream_id] += frame->payload;
      if (frame->flags & spdy::kFlagFin) open.erase(frame->stream_id);
    }
    client.Drop();
    if (client.timed_out()) return Fail(where + ": the streams did not end");
    if (Disrupted(main_)) return;
    if (!open.empty()) return Fail(where + ": the connection ended before its streams");
    for (const Expected& pair : expected) {
      if (pair.listening && received[pair.data].find("hello-chaos") == std::string::npos) {
        Fail(where + ": port 8080 gave \"" + received[pair.data] + "\" " + received[pair.error]);
      }
      if (!pair.listening && received[pair.error].find("error forwarding port 8081") == std::string::npos) {
        Fail(where + ": port 8081 gave \"" + received[pair.error] + "\"");
      }
    }
  }

  void WebSocketPortForwardSession(std::mt19937& random) {
    const bool both = random() % 2 == 0;
    const int behavior = static_cast<int>(random() % 3);  // 0, 1: complete; 2: drop
    const std::string where = absl::StrCat("ws port-forward ", both ? "8080+8081" : "8080", ", behavior ", behavior);
    Note(where);
    std::string url;
    {
      grpc::ClientContext context;
      v1::PortForwardRequest request;
      request.set_pod_sandbox_id(pod_id_);
      request.add_port(8080);
      if (both) request.add_port(8081);
      v1::PortForwardResponse response;
      const grpc::Status status = runtime_->PortForward(&context, request, &response);
      if (!status.ok()) {
        if (!Disrupted(main_)) Fail(where + ": PortForward: " + status.error_message());
        return;
      }
      url = response.url();
    }
    WsClient ws(kSessionDeadline);
    if (ws.Open(url, "v4.channel.k8s.io") != 101) {
      if (!Disrupted(main_)) Fail(where + ": no upgrade");
      return;
    }
    ws.TrySend(0, "GET / HTTP/1.0\r\n\r\n");
    if (behavior == 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
      return ws.Drop();
    }
    // Every port ends (httpd closes after its answer, 8081 refuses): the server then closes.
    std::map<int, std::string> channels = ws.ReadAll();
    if (ws.timed_out()) return Fail(where + ": the session did not end");
    if (Disrupted(main_)) return;
    if (channels[0].find("hello-chaos") == std::string::npos) Fail(where + ": port 8080 gave \"" + channels[0] + "\"");
    if (both && channels[3].find("error forwarding port 8081") == std::string::npos) {
      Fail(where + ": port 8081 gave \"" + channels[3] + "\"");
    }
  }

  // An exec URL used after a while (its container may be gone by then), then once more.
  void LateOrReusedUrlSession(std::mt19937& random) {
    const std::string container = random() % 2 == 0 ? main_ : victim_;
    const std::string where = "late exec on " + container.substr(0, 8);
    Note(where);
    std::string url;
    const grpc::Status status =
        ExecUrl(container, {"/bin/busybox", "sh", "-c", "echo late"}, false, false, true, false, &url);
    if (!status.ok()) {
      if (!Disrupted(container)) Fail(where + ": Exec: " + status.error_message());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 1500));
    {
      WsClient ws(kSessionDeadline);
      if (ws.Open(url, "v4.channel.k8s.io") != 101) {
        if (!Disrupted(container)) Fail(where + ": no upgrade");
        return;
      }
      std::map<int, std::string> channels = ws.ReadAll();
      if (ws.timed_out()) return Fail(where + ": the session did not end");
      if (!Disrupted(container) && (channels[1] != "late\n" || ExitCodeIn(channels[3]) != 0)) {
        Fail(where + ": got \"" + channels[1] + "\" " + channels[3]);
      }
    }
    SpdyClient again(kSessionDeadline, true);
    const int code = again.Open(url, {"v4.channel.k8s.io"});
    if (code != 404 && code != -1) Fail(where + ": a used URL answered " + std::to_string(code));
  }

  // Tokens never issued, and paths that are no streaming URL.
  void BogusTokenSession(std::mt19937& random, const std::string& base_url) {
    static const char* const kPaths[] = {"/exec/AAAAAAAA", "/attach/", "/portforward/x/y", "/", "/exec/%00%ff"};
    const std::string path = kPaths[random() % 5];
    Note("bogus " + path);
    SpdyClient client(kSessionDeadline, true);
    const int code = client.Open(base_url + path, {"v4.channel.k8s.io"});
    if (code != 404 && code != -1) Fail("bogus " + path + ": answered " + std::to_string(code));
  }

  // --- disruptions -------------------------------------------------------------------------

  void Disrupt() {
    switch (disruption_) {
      case Disruption::kNone:
        return;
      case Disruption::kStopVictim:
        if (const grpc::Status s = client_->Stop(victim_, round_ % 2); !s.ok()) {
          Fail("StopContainer: " + s.error_message());
        }
        return;
      case Disruption::kRemoveVictim:
        if (const grpc::Status s = client_->Remove(victim_); !s.ok()) Fail("RemoveContainer: " + s.error_message());
        return;
      case Disruption::kStopPod:
        if (const grpc::Status s = client_->StopPod(pod_id_); !s.ok()) Fail("StopPodSandbox: " + s.error_message());
        return;
      case Disruption::kRemovePod:
        if (const grpc::Status s = client_->RemovePod(pod_id_); !s.ok()) Fail("RemovePodSandbox: " + s.error_message());
        return;
      case Disruption::kKillExecs:
        for (const std::string& container : {main_, victim_}) {
          for (int pid : ProcessesOfContainer(container)) {
            if (IsExecProcess(Cmdline(pid))) kill(pid, SIGKILL);
          }
        }
        return;
      case Disruption::kKillVictim:
        for (int pid : ProcessesMatching("/bin/busybox sh -c", VictimTag())) kill(pid, SIGKILL);
        return;
      case Disruption::kKillCloisond:
        kill(daemon_.pid(), SIGKILL);
        return;
    }
  }

  // Whether a command line is one of the rounds' exec commands (not the containers' own).
  static bool IsExecProcess(const std::string& cmdline) {
    for (const char* exec : {"/bin/busybox cat", "/bin/busybox head -c", "/bin/busybox yes chaos",
                             "/bin/busybox sleep 1001", kQuickScript, "read line"}) {
      if (cmdline.find(exec) != std::string::npos) return true;
    }
    return false;
  }

  // --- the checks after a round ------------------------------------------------------------

  // Runs while sessions may still be ending: waits for each to hold. After a SIGKILL of
  // cloisond (`crashed`) the work directories of the execs it ran are left until their
  // container goes: nothing removes them on restart (ExecSync's, which a monitor may still
  // use, lie beside them).
  void CheckSettled(std::pair<int, int> before, bool crashed) {
    const fs::path dir = daemon_.dir().path();
    const grpc::Status listed = [&] {
      grpc::ClientContext context;
      v1::VersionRequest request;
      v1::VersionResponse response;
      return runtime_->Version(&context, request, &response);
    }();
    EXPECT_TRUE(listed.ok()) << "Version: " << listed.error_message();
    EXPECT_FALSE(daemon_.Exited(std::chrono::milliseconds(0)).exited) << "cloisond died";
    const std::vector<v1::Container> containers = client_->List();
    std::pair<int, int> after;
    const bool settled = WaitUntil(
        [&] {
          after = DaemonUsage();
          return after.first <= before.first + kThreadSlack && after.second <= before.second + kFdSlack;
        },
        std::chrono::seconds(10));
    std::cout << "  threads " << before.first << " -> " << after.first << ", fds " << before.second << " -> "
              << after.second << std::endl;
    EXPECT_TRUE(settled) << "cloisond's threads " << before.first << " -> " << after.first << ", descriptors "
                         << before.second << " -> " << after.second << "\n"
                         << ReadText("/proc/" + std::to_string(daemon_.pid()) + "/net/tcp");
    // No runtime exec, no exec'd process, no exec work directory, no attach client.
    auto runtime_execs = [&] {
      std::vector<int> execs;
      for (int pid : ProcessesNaming(dir.string())) {
        if (Cmdline(pid).find(" exec ") != std::string::npos) execs.push_back(pid);
      }
      return execs;
    };
    EXPECT_TRUE(WaitUntil([&] { return runtime_execs().empty(); }, std::chrono::seconds(10)));
    EXPECT_TRUE(WaitUntil([&] { return ZombieChildrenOf(daemon_.pid()).empty(); }, std::chrono::seconds(10)))
        << ZombieChildrenOf(daemon_.pid()).size() << " children of cloisond not reaped";
    for (int pid : runtime_execs()) ADD_FAILURE() << "runtime exec left: " << pid << " " << Cmdline(pid);
    for (const v1::Container& container : containers) {
      auto execs = [&] {
        std::vector<std::string> left;
        for (int pid : ProcessesOfContainer(container.id())) {
          if (IsExecProcess(Cmdline(pid))) left.push_back(std::to_string(pid) + " " + Cmdline(pid));
        }
        return left;
      };
      EXPECT_TRUE(WaitUntil([&] { return execs().empty(); }, std::chrono::seconds(10)));
      EXPECT_THAT(execs(), ::testing::IsEmpty()) << "exec'd processes left in " << container.id();
      auto work_dirs = [&] {
        int count = 0;
        for (const std::string& name : EntriesOf(dir / "state/containers" / container.id())) {
          count += name.rfind("exec-", 0) == 0 ? 1 : 0;
        }
        return count;
      };
      if (!crashed) {
        EXPECT_TRUE(WaitUntil([&] { return work_dirs() == 0; }, std::chrono::seconds(10)))
            << "exec work directories left in " << container.id();
      }
      if (container.state() == v1::CONTAINER_RUNNING) {
        EXPECT_TRUE(WaitUntil([&] { return AttachClients(container.id()) == 0; }, std::chrono::seconds(10)))
            << "attach clients left on " << container.id();
      }
    }
  }

  // Every pod stops and goes, leaving nothing behind.
  void CheckClear() {
    for (const v1::PodSandbox& pod : client_->ListPods()) {
      const grpc::Status stopped = client_->StopPod(pod.id());
      EXPECT_TRUE(stopped.ok()) << pod.id() << ": " << stopped.error_message();
      const grpc::Status removed = client_->RemovePod(pod.id());
      EXPECT_TRUE(removed.ok()) << pod.id() << ": " << removed.error_message();
    }
    EXPECT_THAT(client_->ListPods(), ::testing::IsEmpty());
    EXPECT_THAT(client_->List(), ::testing::IsEmpty());
    const fs::path dir = daemon_.dir().path();
    EXPECT_THAT(MountsUnder((dir / "root").string()), ::testing::IsEmpty());
    EXPECT_THAT(MountsUnder((dir / "state").string()), ::testing::IsEmpty());
    EXPECT_TRUE(WaitUntil([&] { return ProcessesNaming(dir.string()).empty(); }, std::chrono::seconds(10)));
    for (int pid : ProcessesNaming(dir.string())) {
      ADD_FAILURE() << "left running: " << pid << " " << Cmdline(pid);
      kill(pid, SIGKILL);
    }
    EXPECT_TRUE(WaitUntil([&] { return PodCgroupsLeft().empty(); }, std::chrono::seconds(5)));
    EXPECT_THAT(PodCgroupsLeft(), ::testing::IsEmpty());
    for (const char* kept : {"root/sandboxes", "root/containers", "root/storage", "state/sandboxes",
                             "state/containers", "state/exits"}) {
      EXPECT_THAT(EntriesOf(dir / kept), ::testing::IsEmpty()) << kept;
    }
  }

  void RunRound(uint32_t seed) {
    std::mt19937 random(seed);
    disruption_ = static_cast<Disruption>(random() % 8);
    const auto disrupt_after = std::chrono::milliseconds(100 + random() % 1500);
    std::cout << "stream chaos round " << round_ << ": seed " << seed << ", " << NameOf(disruption_) << " after "
              << disrupt_after.count() << " ms" << std::endl;
    SetUpRound();
    if (HasFatalFailure()) return;
    const std::string base_url = [&] {
      std::string url;
      (void)ExecUrl(main_, {"/bin/busybox", "true"}, false, false, true, false, &url);
      return url.substr(0, url.find('/', std::string("http://").size()));
    }();
    const std::pair<int, int> before = DaemonUsage();
    const long cpu_before = CpuTicks(daemon_.pid());
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < kClientThreads; ++t) {
        threads.emplace_back([&, t] {
          std::mt19937 thread_random(seed * 31 + static_cast<uint32_t>(t));
          for (int n = 0; n < kSessionsPerThread; ++n) RandomSession(thread_random, base_url);
        });
      }
      std::this_thread::sleep_for(disrupt_after);
      Disrupt();
    }
    const bool crashed = disruption_ == Disruption::kKillCloisond;
    std::pair<int, int> baseline = before;
    if (crashed) {
      ASSERT_TRUE(daemon_.Exited(std::chrono::seconds(5)).exited);
      RestartDaemon();
      runtime_ = daemon_.Runtime();
      // The restarted daemon's own level, once it answered a call.
      (void)client_->List();
      baseline = DaemonUsage();
    } else {
      std::cout << "  cloisond CPU during the round: " << CpuTicks(daemon_.pid()) - cpu_before << " ticks" << std::endl;
    }
    CheckSettled(baseline, crashed);
    CheckClear();
  }

  Disruption disruption_ = Disruption::kNone;
  std::string main_;
  std::string victim_;
  int round_ = 0;
  std::atomic<int> sessions_started_{0};
  std::mutex mu_;
  std::vector<std::string> failures_;
  std::vector<std::string> sessions_;
};

TEST_F(StreamingChaos, RacingSessionsAndDisruptionsEndEverySessionAndLeaveNothing) {
  for (const uint32_t seed : Seeds()) {
    ++round_;
    SCOPED_TRACE("seed " + std::to_string(seed));
    failures_.clear();
    sessions_.clear();
    RunRound(seed);
    EXPECT_THAT(failures_, ::testing::IsEmpty());
    if (HasFailure()) {
      std::cout << "seed " << seed << " failed; its sessions:\n";
      for (const std::string& session : sessions_) std::cout << "  " << session << "\n";
      std::cout << "cloisond's log:\n" << daemon_.Log() << std::endl;
      return;
    }
  }
}

// An attached client that stops reading while its container writes a lot: cloisond holds at
// most a few MiB of the output for it (it used to read the monitor's socket as fast as the
// monitor wrote, queueing everything for the client: 64 MiB here), the monitor then drops the
// client, and once the client reads again its session ends.
TEST_F(Streaming, AttachClientThatStopsReadingIsNotBufferedWithoutBound) {
  const std::string id = RunContainer(
      "attachmem", {"/bin/busybox", "sh", "-c",
                    "while [ ! -e /tmp/go ]; do /bin/busybox sleep 0.1; done; "
                    "i=0; while [ $i -lt 1000 ]; do /bin/busybox head -c 65536 /dev/zero | /bin/busybox tr '\\0' x; "
                    "/bin/busybox sleep 0.01; i=$((i+1)); done; /bin/busybox sleep 1000"});
  WsClient ws(std::chrono::seconds(60));
  ASSERT_EQ(ws.Open(AttachUrl(id), "v4.channel.k8s.io"), 101);
  ASSERT_TRUE(WaitUntil([&] { return AttachClients(id) == 1; }, std::chrono::seconds(10)));
  const long start = RssKiB(daemon_.pid());
  Shell(id, "touch /tmp/go");
  long peak = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (std::chrono::steady_clock::now() < until) {
    peak = std::max(peak, RssKiB(daemon_.pid()) - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LT(peak, 12 * 1024) << "KiB more than before the container wrote";
  EXPECT_TRUE(WaitUntil([&] { return AttachClients(id) == 0; }, std::chrono::seconds(10)))
      << "the monitor kept the client";
  size_t received = 0;
  while (std::optional<std::string> message = ws.Read()) received += message->size();
  EXPECT_FALSE(ws.timed_out()) << "the session did not end once the client read again";
  EXPECT_GT(received, size_t{1} << 20);
  EXPECT_EQ(client_->StatusOf(id).state(), v1::CONTAINER_RUNNING);
}

// With no descriptor left for cloisond, connections wait in the streaming server's backlog: it
// retries accepting them after a pause (it used to retry at once, spinning a core for as long
// as the limit lasted), and serves them once descriptors are free again.
TEST_F(Streaming, StreamingServerOutOfDescriptorsDoesNotSpin) {
  const std::string id = RunContainer("emfile", kSleeper);
  const std::string url = MustExecUrl(id, {"/bin/busybox", "echo", "served"}, false, false, true, false);
  rlimit old{};
  ASSERT_EQ(prlimit(daemon_.pid(), RLIMIT_NOFILE, nullptr, &old), 0);
  const rlimit low{static_cast<rlim_t>(CountOf("/proc/" + std::to_string(daemon_.pid()) + "/fd") + 4), old.rlim_max};
  ASSERT_EQ(prlimit(daemon_.pid(), RLIMIT_NOFILE, &low, nullptr), 0);
  std::vector<util::UniqueFd> idle;  // connections that never send a request: each holds a descriptor
  for (int n = 0; n < 10; ++n) idle.emplace_back(Connect(ParseUrl(url)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long before = CpuTicks(daemon_.pid());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long used = CpuTicks(daemon_.pid()) - before;
  ASSERT_EQ(prlimit(daemon_.pid(), RLIMIT_NOFILE, &old, nullptr), 0);
  EXPECT_LT(used, sysconf(_SC_CLK_TCK) / 4) << "CPU ticks in 3 s out of descriptors";
  idle.clear();
  WsClient ws;
  ASSERT_EQ(ws.Open(url, "v4.channel.k8s.io"), 101);
  std::map<int, std::string> channels = ws.ReadAll();
  EXPECT_EQ(channels[1], "served\n");
  EXPECT_EQ(ExitCodeOf(channels[3]), 0);
}

// Exec sessions whose client leaves before the command's streams are all there (SPDY: before
// opening stdout; WebSocket: during the handshake): the exec is stopped and its runtime
// process reaped (cloisond used to reap it only once the session had started the command's
// streams, leaving a zombie per such session), its work directory removed.
TEST_F(Streaming, ExecLeftBeforeItsStreamsStartedIsReaped) {
  const std::string id = RunContainer("unstarted", kSleeper);
  for (int n = 0; n < 3; ++n) {
    SpdyClient client;
    ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "1001"}, false, false, true, false),
                          {"v4.channel.k8s.io"}),
              101);
    client.OpenStream({{"streamtype", "error"}});
    ASSERT_TRUE(client.Next().has_value());  // the SYN_REPLY: the server has the stream
    std::this_thread::sleep_for(std::chrono::milliseconds(300 * n));
    client.Drop();
  }
  EXPECT_TRUE(WaitUntil([&] { return ZombieChildrenOf(daemon_.pid()).empty(); }, std::chrono::seconds(10)))
      << ZombieChildrenOf(daemon_.pid()).size() << " zombies";
  EXPECT_TRUE(WaitUntil([&] { return Ps(id).find("sleep 1001") == std::string::npos; }, std::chrono::seconds(10)))
      << Ps(id);
}

// Interactive execs running when cloisond is SIGKILLed: their commands end with it (the
// runtime gets SIGTERM and forwards it), rather than living on in the container where no
// session can reach them (a command that neither read stdin nor wrote, as sleep, used to stay
// with its runtime exec until the container stopped).
TEST_F(Streaming, ExecsEndWhenCloisondIsKilled) {
  const std::string id = RunContainer("crashexec", kSleeper);
  WsClient ws;
  ASSERT_EQ(ws.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "1001"}, false, false, true, false), "v4.channel.k8s.io"),
            101);
  SpdyClient spdy(kDeadline, true);
  ASSERT_EQ(spdy.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "1002"}, true, true, true, false),
                      {"v4.channel.k8s.io"}),
            101);
  spdy.OpenStream({{"streamtype", "error"}});
  spdy.OpenStream({{"streamtype", "stdin"}});
  spdy.OpenStream({{"streamtype", "stdout"}});
  spdy.OpenStream({{"streamtype", "resize"}});
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string ps = Ps(id);
        return ps.find("sleep 1001") != std::string::npos && ps.find("sleep 1002") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << Ps(id);
  CrashDaemon();
  RestartDaemon();
  std::string ps;
  EXPECT_TRUE(WaitUntil(
      [&] {
        ps = Ps(id);
        return ps.find("sleep 1001") == std::string::npos && ps.find("sleep 1002") == std::string::npos;
      },
      std::chrono::seconds(10)))
      << ps;
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (int pid : ProcessesNaming(daemon_.dir().path().string())) {
          if (Cmdline(pid).find(" exec ") != std::string::npos) return false;
        }
        return true;
      },
      std::chrono::seconds(10)))
      << "a runtime exec is left";
}

// A WebSocket port forward of more ports than one-byte channels can number (two per port) is
// refused (it used to be served, the 129th port's data going out on the first port's channel).
TEST_F(Streaming, WebSocketPortForwardOfMoreThan128PortsIsRefused) {
  RunContainer("manyports", kSleeper);
  std::vector<int> ports;
  for (int port = 8000; port < 8129; ++port) ports.push_back(port);
  WsClient many;
  EXPECT_EQ(many.Open(PortForwardUrl(ports), "v4.channel.k8s.io"), -1);
  std::string query;
  for (int port : ports) query += (query.empty() ? "?port=" : "&port=") + std::to_string(port);
  WsClient by_query;
  EXPECT_EQ(by_query.Open(PortForwardUrl({}) + query, "v4.channel.k8s.io"), -1);
  ports.pop_back();
  WsClient most;
  ASSERT_EQ(most.Open(PortForwardUrl(ports), "v4.channel.k8s.io"), 101);
  // Every port refuses (nothing listens): the session ends once each reported its error.
  const std::map<int, std::string> channels = most.ReadAll();
  EXPECT_FALSE(most.timed_out());
  EXPECT_THAT(channels.at(255), ::testing::HasSubstr("error forwarding port 8127"));
}

// Input and the end of input sent to a tty exec at once, before the runtime has set its
// terminal up: the command still gets both as typed (the end of input used to reach the
// runtime's side of the terminal as its own end of input, which the runtime does not pass on:
// cat then waited for ever), and none of it is echoed twice.
TEST_F(Streaming, TtyExecGetsInputAndItsEndSentAtOnce) {
  const std::string id = RunContainer("ttyeof", kSleeper);
  for (int n = 0; n < 6; ++n) {
    SCOPED_TRACE("session " + std::to_string(n));
    SpdyClient client(std::chrono::seconds(10));
    ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "cat"}, true, true, true, false), {"v4.channel.k8s.io"}),
              101);
    const uint32_t error = client.OpenStream({{"streamtype", "error"}});
    const uint32_t in = client.OpenStream({{"streamtype", "stdin"}});
    const uint32_t out = client.OpenStream({{"streamtype", "stdout"}});
    client.OpenStream({{"streamtype", "resize"}});
    client.Send(in, "typed early\n", true);
    std::map<uint32_t, std::string> data = client.ReadAll();
    ASSERT_FALSE(client.timed_out()) << "cat did not get the end of its input; it wrote \"" << data[out] << "\"";
    EXPECT_EQ(ExitCodeIn(data[error]), 0) << data[error];
    // The container's terminal echoes the line and cat writes it: twice, no more.
    EXPECT_EQ(data[out], "typed early\r\ntyped early\r\n");
  }
}

// A SPDY client that sends PINGs without reading the answers: cloisond stops reading it once a
// few MiB of answers wait, rather than queueing an answer for every PING (it used to queue
// them all: some 80 bytes of memory for every 12 the client sent).
TEST_F(Streaming, SpdyClientThatDoesNotReadItsPingAnswersIsNotBufferedWithoutBound) {
  signal(SIGPIPE, SIG_IGN);  // the sender may be writing when the client drops its connection
  const std::string id = RunContainer("pings", kSleeper);
  spdy::Frame ping;
  ping.type = spdy::FrameType::kPing;
  std::string pings;
  for (uint32_t n = 0; n < 4096; ++n) {
    ping.value = 2 * n + 1;  // a client's PING ids are odd
    pings += spdy::SerializeFrame(ping);
  }
  long peak = 0;
  {
    SpdyClient client(std::chrono::seconds(60), true);
    ASSERT_EQ(client.Open(MustExecUrl(id, {"/bin/busybox", "sleep", "1001"}, false, false, true, false),
                          {"v4.channel.k8s.io"}),
              101);
    const long start = RssKiB(daemon_.pid());
    std::atomic<bool> sent{false};
    std::jthread sender([&] {
      for (int n = 0; n < 1024; ++n) client.SendRaw(pings);  // 48 MiB of PINGs, or until cloisond stops reading
      sent = true;
    });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (!sent && std::chrono::steady_clock::now() < until) {
      peak = std::max(peak, RssKiB(daemon_.pid()) - start);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    peak = std::max(peak, RssKiB(daemon_.pid()) - start);
    client.Drop();  // ends the sender's write; the client's socket closes with it
  }
  EXPECT_LT(peak, 24 * 1024) << "KiB more than before the PINGs";
  // The session sees the client gone once its socket closed, and stops the exec.
  EXPECT_TRUE(WaitUntil([&] { return Ps(id).find("sleep 1001") == std::string::npos; }, std::chrono::seconds(10)));
}

// StopContainer racing interactive execs that are starting: the stop succeeds and every
// session ends. On runc 1.1.5 the container's init, SIGKILLed, can wait in zap_pid_ns_processes
// for a runc:[2:INIT] of a `runc exec` that the kill caught while it joined the container: a
// zombie whose parent, that `runc exec`, waits on a futex and never reaps it, so the container
// never exited and StopContainer answered "did not exit after SIGKILL" (a chaos round found it).
// StopContainer now kills the container's runtime execs when it has not exited 2 s after SIGKILL.
TEST_F(Streaming, StopContainerRacingStartingExecs) {
  const TestPod pod = RunPod("stopexec");
  std::mt19937 random(7);
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string id = PodFixture::RunContainer(pod, "c" + std::to_string(round), kSleeper);
    std::vector<std::string> urls;
    for (int n = 0; n < 4; ++n) {
      urls.push_back(MustExecUrl(id, {"/bin/busybox", "sleep", "1001"}, n % 2 == 0, n % 2 == 0, true, false));
    }
    {
      std::vector<std::jthread> sessions;
      for (const std::string& url : urls) {
        sessions.emplace_back([url] {
          WsClient ws(std::chrono::seconds(40));
          if (ws.Open(url, "v4.channel.k8s.io") != 101) return;
          (void)ws.ReadAll();
          EXPECT_FALSE(ws.timed_out()) << "an exec session outlived its container";
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 60));
      const grpc::Status stopped = client_->Stop(id, 0);
      EXPECT_TRUE(stopped.ok()) << stopped.error_message();
    }
    EXPECT_TRUE(client_->Remove(id).ok());
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace cloison::testing
