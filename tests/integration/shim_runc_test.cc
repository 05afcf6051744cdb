// The shim module against Debian's containerd-shim-runc-v2 and runc (root only; skips without
// them): start, task lifecycle over ttrpc, exec, kill, grouping by sandbox id, events, shutdown.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../unit/test_tmpdir.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "cloison/shim/events_server.h"
#include "cloison/shim/shim_launcher.h"
#include "cloison/shim/task_client.h"
#include "cloison/shim/ttrpc_client.h"
#include "cloison/util/command.h"
#include "cloison/util/unique_fd.h"
#include "nlohmann/json.hpp"
#include "runc_bundle.h"
#include "wait_until.h"

namespace cloison::shim {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

using cloison::testing::kRunc;
using cloison::testing::ProcessAlive;
using cloison::testing::ReadText;
using cloison::testing::WaitUntil;

constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kBusybox[] = "/bin/busybox";
constexpr milliseconds kTimeout = seconds(30);

// A FIFO opened for reading (non-blocking) before the shim opens it for writing.
class FifoReader {
 public:
  explicit FifoReader(const std::string& path) : path_(path) {
    mkfifo(path.c_str(), 0600);
    fd_.reset(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  }
  const std::string& path() const { return path_; }
  // Reads until `text` has arrived or `timeout` passes; returns everything read so far.
  std::string ReadUntil(const std::string& text, milliseconds timeout) {
    WaitUntil([&] {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd_.get(), buffer, sizeof(buffer))) > 0) data_.append(buffer, static_cast<size_t>(n));
      return absl::StrContains(data_, text);
    }, timeout);
    return data_;
  }

 private:
  std::string path_;
  util::UniqueFd fd_;
  std::string data_;
};

// Keeps reading the shim's log FIFO (the shim exits, or blocks, without a reader).
class LogDrain {
 public:
  explicit LogDrain(util::UniqueFd fd) : fd_(std::move(fd)), thread_([this] { Run(); }) {}
  ~LogDrain() {
    stop_ = true;
    thread_.join();
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd ready{fd_.get(), POLLIN, 0};
      if (poll(&ready, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = read(fd_.get(), buffer, sizeof(buffer));
      if (n > 0) {
        absl::MutexLock lock(&mu_);
        text_.append(buffer, static_cast<size_t>(n));
      } else {
        std::this_thread::sleep_for(milliseconds(50));  // no writer yet, or between writers
      }
    }
  }

  util::UniqueFd fd_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class ShimRuncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to run containers";
    for (const char* binary : {kShim, kRunc, kBusybox}) {
      if (access(binary, X_OK) != 0) GTEST_SKIP() << "needs " << binary;
    }
    static int counter = 0;
    unique_ = std::to_string(getpid()) + "-" + std::to_string(++counter);
    ns_ = "cloison-test-" + unique_;
    events_ = std::make_unique<EventsServer>(path("events.sock"), [this](const ShimEvent& event) {
      absl::MutexLock lock(&events_mu_);
      seen_events_.push_back(event);
    });
    ASSERT_TRUE(events_->Start().ok());
  }

  void TearDown() override {
    const std::string runc_root = "/run/containerd/runc/" + ns_;
    for (const std::string& id : ids_) {
      util::RunCommand({kRunc, "--root", runc_root, "delete", "-f", id}, kTimeout).IgnoreError();
    }
    KillShimsOfNamespace();
    for (const std::string& id : ids_) testing::RemoveTestCgroup(id);
    for (const std::string& address : addresses_) {
      std::filesystem::path socket(std::string(absl::StripPrefix(address, "unix://")));
      std::error_code ec;
      std::filesystem::remove(socket, ec);
    }
    rmdir(runc_root.c_str());
    drains_.clear();
    events_.reset();
  }

  // The shims this test started: their command line names the test's unique namespace.
  std::vector<pid_t> ShimsOfNamespace() const {
    std::vector<pid_t> pids;
    const std::string marker = std::string("-namespace") + '\0' + ns_ + '\0';
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = std::stoi(name);
      if (ProcessAlive(pid) && absl::StrContains(ReadText(entry.path() / "cmdline"), marker)) pids.push_back(pid);
    }
    return pids;
  }

  void KillShimsOfNamespace() const {
    for (const pid_t pid : ShimsOfNamespace()) kill(pid, SIGKILL);
  }

  std::string path(const std::string& relative) const { return (dir_.path() / relative).string(); }

  // A busybox bundle (MakeBusyboxBundle) at path(id) running `args`, in pod `sandbox_id`.
  std::string MakeBundle(const std::string& id, const std::vector<std::string>& args, const std::string& sandbox_id) {
    ids_.push_back(id);
    EXPECT_TRUE(testing::MakeBusyboxBundle(path(id), id, args, [&](Json& config) {
      config["annotations"] = Json{{"io.kubernetes.cri.sandbox-id", sandbox_id},
                                   {"io.kubernetes.cri.container-type", "container"},
                                   {"io.kubernetes.cri.container-name", id}};
    })) << "runc spec failed";
    return path(id);
  }

  ShimStartOptions Options(const std::string& id) const {
    ShimStartOptions options;
    options.shim_path = kShim;
    options.id = id;
    options.bundle = path(id);
    options.ns = ns_;
    options.address = path("containerd.sock");
    options.ttrpc_address = path("events.sock");
    options.publish_binary = "/bin/true";
    return options;
  }

  // OpenShimLogFifo + StartShim for the bundle of `id`; the address it serves ("" on failure).
  std::string Start(const std::string& id) {
    absl::StatusOr<util::UniqueFd> log = OpenShimLogFifo(path(id));
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return "";
    drains_.push_back(std::make_unique<LogDrain>(std::move(*log)));
    absl::StatusOr<std::string> address = StartShim(Options(id));
    EXPECT_TRUE(address.ok()) << address.status();
    if (!address.ok()) return "";
    addresses_.push_back(*address);
    return *address;
  }

  bool SawEvent(const std::string& topic, const std::string& container_id, uint32_t* exit_status = nullptr) {
    absl::MutexLock lock(&events_mu_);
    for (const ShimEvent& event : seen_events_) {
      if (event.topic == topic && event.container_id == container_id && event.ns == ns_) {
        if (exit_status) *exit_status = event.exit_status;
        return true;
      }
    }
    return false;
  }

  testing::TempDir dir_;
  std::string unique_;
  std::string ns_;
  std::vector<std::string> ids_;
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<LogDrain>> drains_;
  std::unique_ptr<EventsServer> events_;
  absl::Mutex events_mu_;
  std::vector<ShimEvent> seen_events_ ABSL_GUARDED_BY(events_mu_);
};

TEST_F(ShimRuncTest, TaskLifecycleExecKillGroupingAndShutdown) {
  const std::string sandbox = "sb-" + unique_;
  const std::string first = "c1-" + unique_;
  const std::string second = "c2-" + unique_;
  MakeBundle(first, {"sh", "-c", "echo hi; exit 3"}, sandbox);
  MakeBundle(second, {"sleep", "1000"}, sandbox);

  const std::string address = Start(first);
  ASSERT_THAT(address, ::testing::StartsWith("unix:///run/containerd/s/"));
  struct stat socket_stat{};
  ASSERT_EQ(stat(std::string(absl::StripPrefix(address, "unix://")).c_str(), &socket_stat), 0);
  EXPECT_EQ(socket_stat.st_mode & 0777, 0600u);
  // Same sandbox id: the running shim's address, and still one shim.
  EXPECT_EQ(Start(second), address);
  EXPECT_EQ(ShimsOfNamespace().size(), 1u);

  absl::StatusOr<std::unique_ptr<TtrpcClient>> connection = TtrpcClient::Connect(address, kTimeout);
  ASSERT_TRUE(connection.ok()) << connection.status();
  TaskClient tasks(std::move(*connection), ns_);

  FifoReader out(path("c1.out")), err(path("c1.err"));
  absl::StatusOr<uint32_t> pid = tasks.Create(first, path(first), {"", out.path(), err.path(), false});
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_GT(*pid, 0u);
  absl::StatusOr<TaskState> created = tasks.State(first, "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->status, "created");
  EXPECT_EQ(created->pid, *pid);
  absl::StatusOr<ShimInfo> info = tasks.Connect(first);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->task_pid, *pid);
  const pid_t shim_pid = static_cast<pid_t>(info->shim_pid);
  EXPECT_TRUE(ProcessAlive(shim_pid));

  absl::StatusOr<uint32_t> started = tasks.Start(first, "");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(*started, *pid);
  absl::StatusOr<TaskExit> exit = tasks.Wait(first, "", kTimeout);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_status, 3u);
  EXPECT_GT(exit->exited_at_ns, 0);
  EXPECT_THAT(out.ReadUntil("hi\n", kTimeout), ::testing::HasSubstr("hi\n"));
  absl::StatusOr<TaskState> stopped = tasks.State(first, "");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->status, "stopped");
  EXPECT_EQ(stopped->exit_status, 3u);

  // The second container: exec into it, then kill it.
  // Debian's 1.6 shim fails to open "" when only one of stdout and stderr is given.
  FifoReader out2(path("c2.out")), err2(path("c2.err")), exec_out(path("exec.out")), exec_err(path("exec.err"));
  absl::StatusOr<uint32_t> second_pid = tasks.Create(second, path(second), {"", out2.path(), err2.path(), false});
  ASSERT_TRUE(second_pid.ok()) << second_pid.status();
  absl::Status status = tasks.Start(second, "").status();
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<TaskState> running = tasks.State(second, "");
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->status, "running");
  const Json process = {{"args", {"sh", "-c", "echo from-exec"}}, {"cwd", "/"}, {"env", {"PATH=/bin"}},
                        {"user", {{"uid", 0}, {"gid", 0}}}, {"terminal", false}};
  status = tasks.Exec(second, "exec-1", process.dump(), {"", exec_out.path(), exec_err.path(), false});
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<uint32_t> exec_pid = tasks.Start(second, "exec-1");
  ASSERT_TRUE(exec_pid.ok()) << exec_pid.status();
  absl::StatusOr<TaskExit> exec_exit = tasks.Wait(second, "exec-1", kTimeout);
  ASSERT_TRUE(exec_exit.ok()) << exec_exit.status();
  EXPECT_EQ(exec_exit->exit_status, 0u);
  EXPECT_THAT(exec_out.ReadUntil("from-exec\n", kTimeout), ::testing::HasSubstr("from-exec\n"));
  EXPECT_TRUE(tasks.Delete(second, "exec-1").ok());
  absl::StatusOr<std::vector<uint32_t>> pids = tasks.Pids(second);
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_THAT(*pids, ::testing::Contains(running->pid));
  status = tasks.Update(second, R"({"pids":{"limit":64}})");
  EXPECT_TRUE(status.ok()) << status;

  status = tasks.Kill(second, "", SIGKILL, false);
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<TaskExit> killed = tasks.Wait(second, "", kTimeout);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->exit_status, 128u + SIGKILL);

  absl::StatusOr<TaskExit> deleted = tasks.Delete(first, "");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->exit_status, 3u);
  EXPECT_EQ(deleted->pid, *pid);
  absl::StatusOr<TaskExit> second_deleted = tasks.Delete(second, "");
  ASSERT_TRUE(second_deleted.ok()) << second_deleted.status();
  EXPECT_EQ(tasks.State(first, "").status().code(), absl::StatusCode::kNotFound);

  uint32_t event_status = 0;
  EXPECT_TRUE(WaitUntil([&] { return SawEvent("/tasks/exit", first, &event_status); }, kTimeout));
  EXPECT_EQ(event_status, 3u);

  status = tasks.Shutdown(first, false);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(shim_pid); }, kTimeout)) << drains_[0]->text();
  EXPECT_THAT(ShimsOfNamespace(), ::testing::IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(std::string(absl::StripPrefix(address, "unix://"))));
  EXPECT_THAT(ReadText("/proc/self/mountinfo"), ::testing::Not(::testing::HasSubstr(dir_.path().string())));
}

TEST_F(ShimRuncTest, DeleteWithTheShimBinaryCleansUpAfterADeadShim) {
  const std::string id = "c3-" + unique_;
  MakeBundle(id, {"sleep", "1000"}, "sb-" + id);
  const std::string address = Start(id);
  ASSERT_FALSE(address.empty());
  absl::StatusOr<std::unique_ptr<TtrpcClient>> connection = TtrpcClient::Connect(address, kTimeout);
  ASSERT_TRUE(connection.ok()) << connection.status();
  std::shared_ptr<TtrpcClient> shared = std::move(*connection);
  TaskClient tasks(shared, ns_);
  FifoReader out(path("c3.out")), err(path("c3.err"));
  absl::StatusOr<uint32_t> pid = tasks.Create(id, path(id), {"", out.path(), err.path(), false});
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(tasks.Start(id, "").ok());

  KillShimsOfNamespace();
  EXPECT_TRUE(WaitUntil([&] { return shared->closed(); }, kTimeout));
  EXPECT_EQ(tasks.State(id, "").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(*pid)));  // the container outlives its shim
  // Its socket stays, refusing: at the address it reported, that is final (no retries until
  // the minute's timeout).
  ASSERT_TRUE(WaitUntil([&] { return ShimsOfNamespace().empty(); }, kTimeout));
  EXPECT_TRUE(std::filesystem::exists(std::string(absl::StripPrefix(address, "unix://"))));
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(TtrpcClient::Connect(address, seconds(60), Listener::kReported).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(30));

  const absl::Status deleted = DeleteWithShimBinary(Options(id));
  ASSERT_TRUE(deleted.ok()) << deleted;
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(static_cast<pid_t>(*pid)); }, kTimeout));
  absl::StatusOr<util::CommandResult> state =
      util::RunCommand({kRunc, "--root", "/run/containerd/runc/" + ns_, "state", id}, kTimeout);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_NE(state->exit_code, 0) << state->stdout_text;
}

// What cloisond's vm runtime relies on: `start` prints the address only once the socket
// listens (a connect without retries reaches it), and a shim asked to exit without tasks does so
// by itself, its socket removed, within containerd's 3 s shutdown timeout; ShimProcess holds
// it by the pid its Connect answered.
TEST_F(ShimRuncTest, TheReportedAddressListensAtOnceAndTheShimExitsOnShutdown) {
  const std::string id = "c5-" + unique_;
  MakeBundle(id, {"true"}, "sb-" + id);
  const std::string address = Start(id);
  ASSERT_FALSE(address.empty());
  absl::StatusOr<std::unique_ptr<TtrpcClient>> connection =
      TtrpcClient::Connect(address, milliseconds(0), Listener::kReported);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const TaskClient tasks(std::move(*connection), ns_);
  absl::StatusOr<ShimInfo> info = tasks.Connect(id);
  ASSERT_TRUE(info.ok()) << info.status();
  absl::StatusOr<ShimProcess> shim = ShimProcess::Hold(static_cast<int>(info->shim_pid));
  ASSERT_TRUE(shim.ok()) << shim.status();

  ASSERT_TRUE(tasks.Shutdown(id, false).ok());
  EXPECT_TRUE(shim->ExitsWithin(seconds(3))) << drains_[0]->text();
  EXPECT_FALSE(std::filesystem::exists(std::string(absl::StripPrefix(address, "unix://"))));
  EXPECT_EQ(TtrpcClient::Connect(address, seconds(60), Listener::kReported).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ShimRuncTest, StartFailureCarriesTheShimsStderr) {
  const std::string id = "c4-" + unique_;
  MakeBundle(id, {"true"}, "sb-" + id);
  ShimStartOptions options = Options(id);
  options.bundle = path("no-such-bundle");
  std::filesystem::create_directories(options.bundle);  // a cwd without config.json
  const absl::StatusOr<std::string> address = StartShim(options);
  EXPECT_FALSE(address.ok());
  EXPECT_THAT(address.status().message(), ::testing::HasSubstr("config.json"));
}

}  // namespace
}  // namespace cloison::shim
