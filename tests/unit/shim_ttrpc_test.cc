// TtrpcClient against EventsServer (and against a raw socket that misbehaves), over real unix
// sockets in a private temp directory.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cloison/shim/events_server.h"
#include "cloison/shim/task_client.h"
#include "cloison/shim/ttrpc_client.h"
#include "cloison/shim/ttrpc_frame.h"
#include "cloison/util/unique_fd.h"
#include "containerd/events/task.pb.h"
#include "containerd/services/ttrpc/events/v1/events.pb.h"
#include "containerd/task/v2/shim.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cloison::shim {
namespace {

using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kTimeout{std::chrono::seconds(10)};
constexpr char kEvents[] = "containerd.services.events.ttrpc.v1.Events";

class ShimTtrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/cloison-shim-ttrpc-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string ForwardPayload(const std::string& container_id, uint32_t exit_status) {
    containerd::events::TaskExit exit;
    exit.set_container_id(container_id);
    exit.set_id(container_id);
    exit.set_pid(42);
    exit.set_exit_status(exit_status);
    containerd::services::events::ttrpc::v1::ForwardRequest forward;
    forward.mutable_envelope()->set_namespace_("cloison-unit");
    forward.mutable_envelope()->set_topic("/tasks/exit");
    forward.mutable_envelope()->mutable_event()->set_type_url("containerd.events.TaskExit");
    forward.mutable_envelope()->mutable_event()->set_value(exit.SerializeAsString());
    return forward.SerializeAsString();
  }

  std::string dir_;
};

struct Recorded {
  absl::Mutex mu;
  std::vector<ShimEvent> events ABSL_GUARDED_BY(mu);
};

TEST_F(ShimTtrpcTest, ForwardedTaskExitReachesTheCallback) {
  Recorded recorded;
  const std::string path = dir_ + "/events.sock";
  EventsServer server(path, [&recorded](const ShimEvent& event) {
    absl::MutexLock lock(&recorded.mu);
    recorded.events.push_back(event);
  });
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  absl::StatusOr<std::unique_ptr<TtrpcClient>> client = TtrpcClient::Connect("unix://" + path, kTimeout);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::string> answer =
      (*client)->Call(kEvents, "Forward", ForwardPayload("ctr-1", 3), kTimeout, {{"containerd-namespace-ttrpc", "x"}});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, "");

  absl::MutexLock lock(&recorded.mu);
  ASSERT_EQ(recorded.events.size(), 1u);
  EXPECT_EQ(recorded.events[0].ns, "cloison-unit");
  EXPECT_EQ(recorded.events[0].topic, "/tasks/exit");
  EXPECT_EQ(recorded.events[0].container_id, "ctr-1");
  EXPECT_EQ(recorded.events[0].exit_status, 3u);
}

TEST_F(ShimTtrpcTest, UnknownMethodIsNotImplemented) {
  EventsServer server(dir_ + "/events.sock", [](const ShimEvent&) {});
  ASSERT_TRUE(server.Start().ok());
  auto client = TtrpcClient::Connect(dir_ + "/events.sock", kTimeout);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::string> answer = (*client)->Call(kEvents, "Publish", "", kTimeout, {});
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(answer.status().message(), HasSubstr("Publish"));
  EXPECT_EQ((*client)->Call("containerd.task.v2.Task", "State", "", kTimeout, {}).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_FALSE((*client)->closed());
}

TEST_F(ShimTtrpcTest, ConcurrentCallsGetTheirOwnAnswers) {
  Recorded recorded;
  EventsServer server(dir_ + "/events.sock", [&recorded](const ShimEvent& event) {
    absl::MutexLock lock(&recorded.mu);
    recorded.events.push_back(event);
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<TtrpcClient> client = *TtrpcClient::Connect(dir_ + "/events.sock", kTimeout);

  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 50;
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // Odd calls: an unknown method whose error names it; even calls: a Forward.
        const std::string method = absl::StrCat("Method", t, "x", i);
        if (i % 2 == 1) {
          const absl::Status status = client->Call(kEvents, method, "", kTimeout, {}).status();
          if (status.code() != absl::StatusCode::kUnimplemented || !absl::StrContains(status.message(), method)) {
            failures[t] += absl::StrCat(method, " got ", status.ToString(), "; ");
          }
        } else {
          const std::string payload = ForwardPayload(method, static_cast<uint32_t>(i));
          auto answer = client->Call(kEvents, "Forward", payload, kTimeout, {});
          if (!answer.ok()) failures[t] += absl::StrCat(method, " Forward got ", answer.status().ToString(), "; ");
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
  absl::MutexLock lock(&recorded.mu);
  EXPECT_EQ(recorded.events.size(), static_cast<size_t>(kThreads * kCallsPerThread / 2));
}

// A listener that accepts one connection, reads one frame and then runs `after_read`.
class RawServer {
 public:
  RawServer(const std::string& path, std::function<void(util::UniqueFd&)> after_read) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    listen_fd_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(bind(listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_.get(), 4), 0);
    thread_ = std::thread([this, after_read] {
      util::UniqueFd connection(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (connection.valid() && ReadFrame(connection.get()).ok()) after_read(connection);
    });
  }
  ~RawServer() {
    shutdown(listen_fd_.get(), SHUT_RDWR);
    thread_.join();
  }

 private:
  util::UniqueFd listen_fd_;
  std::thread thread_;
};

TEST_F(ShimTtrpcTest, AServerThatHangsUpFailsPendingCallsWithUnavailable) {
  const std::string path = dir_ + "/raw.sock";
  RawServer server(path, [](util::UniqueFd& connection) { connection.reset(); });
  auto client = TtrpcClient::Connect(path, kTimeout);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->Call(kEvents, "Forward", "", std::chrono::milliseconds(0), {}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE((*client)->closed());
  EXPECT_EQ((*client)->Call(kEvents, "Forward", "", kTimeout, {}).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ShimTtrpcTest, ACallWithoutAnswerHitsItsDeadline) {
  const std::string path = dir_ + "/raw.sock";
  absl::Notification release;
  RawServer server(path, [&release](util::UniqueFd&) { release.WaitForNotificationWithTimeout(absl::Seconds(30)); });
  auto client = TtrpcClient::Connect(path, kTimeout);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->Call(kEvents, "Forward", "", std::chrono::milliseconds(100), {}).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE((*client)->closed());
  release.Notify();
}

TEST_F(ShimTtrpcTest, ConnectingToNothingIsUnavailable) {
  EXPECT_EQ(TtrpcClient::Connect(dir_ + "/nobody.sock", std::chrono::milliseconds(50)).status().code(),
            absl::StatusCode::kUnavailable);
}

// A socket file nobody listens on any more: what a SIGKILLed shim leaves at its address.
void LeaveDeadSocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  util::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd.get(), 4), 0);
}

TEST(ConnectWorthRetrying, NoListenerIsFinalAtAReportedAddressOnly) {
  for (const int error : {ENOENT, ECONNREFUSED}) {
    EXPECT_TRUE(ConnectWorthRetrying(error, Listener::kMayBeStarting)) << error;
    EXPECT_FALSE(ConnectWorthRetrying(error, Listener::kReported)) << error;
  }
  EXPECT_TRUE(ConnectWorthRetrying(EAGAIN, Listener::kMayBeStarting));
  EXPECT_TRUE(ConnectWorthRetrying(EAGAIN, Listener::kReported));  // a live shim, busy
  for (const int error : {EACCES, ENOTSOCK, EPROTOTYPE}) {
    EXPECT_FALSE(ConnectWorthRetrying(error, Listener::kMayBeStarting)) << error;
    EXPECT_FALSE(ConnectWorthRetrying(error, Listener::kReported)) << error;
  }
}

// A dead shim's address (its socket left behind, or removed): the connect fails at once
// instead of retrying until its timeout (a minute here; the test would take that long).
TEST_F(ShimTtrpcTest, AReportedAddressWithNoListenerFailsAtOnce) {
  constexpr auto kLongTimeout = std::chrono::seconds(60);
  const std::string left = dir_ + "/left.sock";
  LeaveDeadSocket(left);
  ASSERT_TRUE(std::filesystem::exists(left));
  for (const std::string& address : {"unix://" + left, dir_ + "/removed.sock"}) {
    const auto before = std::chrono::steady_clock::now();
    const absl::Status status = TtrpcClient::Connect(address, kLongTimeout, Listener::kReported).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_LT(std::chrono::steady_clock::now() - before, kLongTimeout / 2) << address;
  }
}

// A shim still starting: its socket appears while the connect retries.
TEST_F(ShimTtrpcTest, AStartingListenerIsWaitedFor) {
  const std::string path = dir_ + "/late.sock";
  absl::Notification connected;
  std::thread late([&path, &connected] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // It reads until the client hangs up (the client sends no frame).
    RawServer server(path, [](util::UniqueFd&) {});
    connected.WaitForNotificationWithTimeout(absl::FromChrono(kTimeout));
  });
  absl::StatusOr<std::unique_ptr<TtrpcClient>> client = TtrpcClient::Connect(path, kTimeout);
  connected.Notify();
  EXPECT_TRUE(client.ok()) << client.status();
  if (client.ok()) client->reset();
  late.join();
}

// A connection whose every call answers `answer`: a shim's reply as the TaskClient sees it.
class CannedTtrpcClient final : public TtrpcClient {
 public:
  explicit CannedTtrpcClient(std::string answer) : answer_(std::move(answer)) {}
  absl::StatusOr<std::string> Call(absl::string_view, absl::string_view, std::string, std::chrono::milliseconds,
                                   const TtrpcMetadata&) override {
    return answer_;
  }
  bool closed() const override { return false; }

 private:
  std::string answer_;
};

// exited_at comes from the shim: seconds past int64's nanoseconds saturate instead of
// overflowing (undefined behaviour).
TEST(ShimTaskClient, ExitTimesPastInt64NanosecondsSaturate) {
  const std::pair<int64_t, int64_t> cases[] = {
      {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()},
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min()},
      {9223372036, std::numeric_limits<int64_t>::max()},  // in range until nanos are added
      {1700000000, int64_t{1700000000} * 1000000000 + 999999999},
  };
  for (const auto& [seconds, expected] : cases) {
    containerd::task::v2::WaitResponse wait;
    wait.set_exit_status(3);
    wait.mutable_exited_at()->set_seconds(seconds);
    wait.mutable_exited_at()->set_nanos(999999999);
    const TaskClient tasks(std::make_shared<CannedTtrpcClient>(wait.SerializeAsString()), "cloison-unit");
    absl::StatusOr<TaskExit> exit = tasks.Wait("c", "", kTimeout);
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(exit->exit_status, 3u);
    EXPECT_EQ(exit->exited_at_ns, expected) << seconds;
  }
}

}  // namespace
}  // namespace cloison::shim
