// cloison-monitor driving the real runc (root only): sync protocol, ctl and attach sockets,
// CRI log, exit file, OOM detection and exec mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "monitor_harness.h"

namespace cloison::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class MonitorRuncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to run containers";
    if (access(kRunc, X_OK) != 0 || access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "needs runc and busybox";
  }

  MonitoredContainer& NewContainer() {
    static int counter = 0;
    containers_.push_back(std::make_unique<MonitoredContainer>(
        "cmt-" + std::to_string(getpid()) + "-" + std::to_string(++counter)));
    return *containers_.back();
  }

  // Creates and starts a container running `args`; returns the container's pid.
  pid_t CreateAndStart(MonitoredContainer& container, const std::vector<std::string>& extra = {}) {
    const Json sync = container.Launch(extra);
    EXPECT_TRUE(sync.is_object() && sync.contains("pid") && sync["pid"].get<int>() > 0) << container.sync_report();
    PacketClient ctl;
    EXPECT_TRUE(ctl.Connect(container.ctl_socket()));
    EXPECT_EQ(ctl.Call({{"op", "start"}}), Json({{"ok", true}}));
    return sync.value("pid", -1);
  }

  std::vector<std::unique_ptr<MonitoredContainer>> containers_;
};

// The log's records without their timestamps, checking the timestamp format on the way.
std::vector<std::string> LogRecords(const std::string& path) {
  std::vector<std::string> records;
  std::istringstream log(ReadText(path));
  for (std::string line; std::getline(log, line);) {
    EXPECT_THAT(line, MatchesRegex(R"(^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z .*)"));
    records.push_back(line.substr(line.find(' ') + 1));
  }
  return records;
}

TEST_F(MonitorRuncTest, LogsOutputAndWritesTheExitFile) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sh", "-c", "echo hello; printf oops >&2; exit 3"});
  int spawner_exit = -1;
  const Json sync = container.Launch({}, &spawner_exit);
  EXPECT_EQ(spawner_exit, 0);
  ASSERT_TRUE(sync.is_object()) << container.sync_report();
  const int pid = sync.value("pid", -1);
  ASSERT_GT(pid, 0) << container.sync_report();
  EXPECT_EQ(ReadText(container.bundle() + "/pidfile"), std::to_string(pid));

  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "state"}}), Json({{"ok", true}, {"pid", pid}, {"running", true}, {"started", false}}));
  EXPECT_EQ(ctl.Call({{"op", "dance"}}), Json({{"ok", false}, {"message", "unknown op dance"}}));
  EXPECT_EQ(ctl.Call({{"op", "start"}}), Json({{"ok", true}}));

  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exit_code"], 3);
  EXPECT_EQ(exit["signal"], 0);
  EXPECT_EQ(exit["oom_killed"], false);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LT(now_ns - exit["exited_at"].get<int64_t>(), int64_t{60} * 1000000000);
  EXPECT_THAT(LogRecords(container.log_path()), ::testing::ElementsAre("stdout F hello", "stderr P oops"));
  struct stat st{};
  ASSERT_EQ(stat(container.log_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_TRUE(container.WaitForMonitorExit());
  EXPECT_FALSE(std::filesystem::exists(container.ctl_socket()));
  EXPECT_FALSE(std::filesystem::exists(container.attach_socket()));
}

TEST_F(MonitorRuncTest, MonitorRunsInItsOwnSessionAndSurvivesItsSpawner) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sleep", "1000"});
  int spawner_exit = -1;
  const Json sync = container.Launch({}, &spawner_exit);
  ASSERT_GT(sync.value("pid", -1), 0) << container.sync_report();
  EXPECT_EQ(spawner_exit, 0);  // the process we started is gone (and reaped) already
  const pid_t monitor = container.MonitorPid();
  ASSERT_TRUE(IsMonitor(monitor));
  EXPECT_EQ(getsid(monitor), monitor);
  EXPECT_NE(getsid(monitor), getsid(0));
  const std::string status = ReadText("/proc/" + std::to_string(monitor) + "/status");
  EXPECT_THAT(status, ::testing::Not(HasSubstr("PPid:\t" + std::to_string(getpid()) + "\n")));
  // The monitor ignores the signals a daemon restart or a terminal hangup would send.
  kill(monitor, SIGTERM);
  kill(monitor, SIGHUP);
  kill(monitor, SIGINT);
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(IsMonitor(monitor));

  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "start"}}), Json({{"ok", true}}));
  // Reported, not asserted: the monitor's resident size with a running container.
  const std::string running = ReadText("/proc/" + std::to_string(monitor) + "/status");
  const size_t rss = running.find("VmRSS:");
  ASSERT_NE(rss, std::string::npos);
  const std::string rss_line = running.substr(rss, running.find('\n', rss) - rss);
  RecordProperty("monitor_rss", rss_line);
  std::printf("cloison-monitor %s\n", rss_line.c_str());
}

TEST_F(MonitorRuncTest, KilledContainerReportsTheSignal) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sleep", "1000"});
  const pid_t pid = CreateAndStart(container);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(ProcessAlive(pid));
  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "state"}}), Json({{"ok", true}, {"pid", pid}, {"running", true}, {"started", true}}));
  EXPECT_FALSE(std::filesystem::exists(container.exit_file()));
  ASSERT_TRUE(container.Runc({"kill", container.id(), "KILL"}).ok());
  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exit_code"], 137);
  EXPECT_EQ(exit["signal"], 9);
  EXPECT_EQ(exit["oom_killed"], false);
  EXPECT_TRUE(container.WaitForMonitorExit());
}

TEST_F(MonitorRuncTest, ContainerKilledBeforeStartStillGetsAnExitFile) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"true"});
  ASSERT_GT(container.Launch().value("pid", -1), 0) << container.sync_report();
  ASSERT_TRUE(container.Runc({"kill", container.id(), "KILL"}).ok());
  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["signal"], 9);
}

TEST_F(MonitorRuncTest, AttachCarriesOutputAndStdin) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"cat"});
  const pid_t pid = CreateAndStart(container, {"--stdin", "--stdin-once"});
  ASSERT_GT(pid, 0);
  PacketClient attach;
  ASSERT_TRUE(attach.Connect(container.attach_socket()));
  PacketClient idle;  // a second client that never reads must not block the first
  ASSERT_TRUE(idle.Connect(container.attach_socket()));
  ASSERT_TRUE(attach.Send("ping\n"));
  std::optional<std::string> packet = attach.Receive();
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(*packet, std::string("\x02ping\n", 6));
  ASSERT_TRUE(attach.Send("more"));
  ASSERT_TRUE(attach.Send(" input\n"));
  std::string echoed;
  while (echoed.size() < 11) {
    packet = attach.Receive();
    ASSERT_TRUE(packet.has_value() && !packet->empty());
    EXPECT_EQ((*packet)[0], '\x02');
    echoed += packet->substr(1);
  }
  EXPECT_EQ(echoed, "more input\n");
  attach.ShutdownWrite();  // --stdin-once: closes cat's stdin, so cat exits
  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exit_code"], 0);
  EXPECT_THAT(LogRecords(container.log_path()), ::testing::ElementsAre("stdout F ping", "stdout F more input"));
}

TEST_F(MonitorRuncTest, ReopenStartsANewLogAfterRotation) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sh", "-c", "read a; echo $a; read b; echo $b >&2"});
  ASSERT_GT(CreateAndStart(container, {"--stdin"}), 0);
  PacketClient attach;
  ASSERT_TRUE(attach.Connect(container.attach_socket()));
  ASSERT_TRUE(attach.Send("first\n"));
  ASSERT_TRUE(WaitUntil([&] { return ReadText(container.log_path()).find("first") != std::string::npos; }, seconds(10)));
  const std::string rotated = container.log_path() + ".20261128-182001";
  std::filesystem::rename(container.log_path(), rotated);
  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "reopen"}}), Json({{"ok", true}}));
  EXPECT_EQ(ctl.Call({{"op", "resize"}, {"width", 80}, {"height", 24}})["ok"], false);  // no terminal
  ASSERT_TRUE(attach.Send("second\n"));
  ASSERT_TRUE(container.WaitForExitFile().is_object());
  EXPECT_THAT(LogRecords(rotated), ::testing::ElementsAre("stdout F first"));
  EXPECT_THAT(LogRecords(container.log_path()), ::testing::ElementsAre("stderr F second"));
}

TEST_F(MonitorRuncTest, TerminalOutputAndResize) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sh", "-c", "sleep 1; stty size; echo tty-done"},
                       [](Json& config) { config["process"]["terminal"] = true; });
  ASSERT_GT(CreateAndStart(container, {"--tty"}), 0);
  EXPECT_FALSE(std::filesystem::exists(container.socket_dir() + "/console.sock"));
  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "resize"}, {"width", 100}, {"height", 30}}), Json({{"ok", true}}));
  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exit_code"], 0);
  // A terminal turns "\n" into "\r\n"; the log keeps the raw bytes.
  EXPECT_THAT(LogRecords(container.log_path()), ::testing::ElementsAre("stdout F 30 100\r", "stdout F tty-done\r"));
}

TEST_F(MonitorRuncTest, CreateFailureIsReportedOnTheSyncPipe) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"true"}, [](Json& config) { config["root"]["path"] = "missing-rootfs"; });
  int spawner_exit = -1;
  const Json sync = container.Launch({}, &spawner_exit);
  EXPECT_EQ(spawner_exit, 0);
  ASSERT_TRUE(sync.is_object()) << container.sync_report();
  EXPECT_EQ(sync["pid"], -1);
  ASSERT_TRUE(sync.contains("message"));
  EXPECT_THAT(sync["message"].get<std::string>(), HasSubstr("missing-rootfs"));
  EXPECT_TRUE(container.WaitForMonitorExit());
  EXPECT_FALSE(std::filesystem::exists(container.ctl_socket()));
  EXPECT_FALSE(std::filesystem::exists(container.exit_file()));
}

TEST_F(MonitorRuncTest, TerminalCreateFailureRemovesTheConsoleSocket) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"true"}, [](Json& config) {
    config["root"]["path"] = "missing-rootfs";
    config["process"]["terminal"] = true;
  });
  const Json sync = container.Launch({"--tty"});
  EXPECT_EQ(sync.value("pid", 0), -1) << container.sync_report();
  EXPECT_TRUE(container.WaitForMonitorExit());
  EXPECT_FALSE(std::filesystem::exists(container.socket_dir() + "/console.sock"));
}

TEST_F(MonitorRuncTest, RunModeStartsTheContainerInOneRuntimeCall) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sh", "-c", "echo ran; exec sleep 1000"});
  const Json sync = container.Launch({"--run"});
  const int pid = sync.value("pid", -1);
  ASSERT_GT(pid, 0) << container.sync_report();
  EXPECT_TRUE(ProcessAlive(pid));
  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "state"}}), Json({{"ok", true}, {"pid", pid}, {"running", true}, {"started", true}}));
  EXPECT_EQ(ctl.Call({{"op", "start"}}),
            Json({{"ok", false}, {"message", "the container has already started"}}));
  ASSERT_TRUE(WaitUntil([&] { return ReadText(container.log_path()).find("ran") != std::string::npos; }, seconds(10)));
  ASSERT_TRUE(container.Runc({"kill", container.id(), "KILL"}).ok());
  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["signal"], 9);
  EXPECT_THAT(LogRecords(container.log_path()), ::testing::ElementsAre("stdout F ran"));
  EXPECT_TRUE(container.WaitForMonitorExit());
}

TEST_F(MonitorRuncTest, RunModeReportsAContainerThatExitsAtOnce) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sh", "-c", "exit 5"});
  ASSERT_GT(container.Launch({"--run"}).value("pid", -1), 0) << container.sync_report();
  const Json exit = container.WaitForExitFile();
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exit_code"], 5);
  EXPECT_TRUE(container.WaitForMonitorExit());
}

TEST_F(MonitorRuncTest, RunModeFailureNamesTheMissingEntrypoint) {
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"/no/such-entrypoint"});
  const Json sync = container.Launch({"--run"});
  EXPECT_EQ(sync.value("pid", 0), -1) << container.sync_report();
  EXPECT_THAT(sync.value("message", ""), HasSubstr("/no/such-entrypoint"));
  EXPECT_FALSE(sync.contains("timed_out"));
  EXPECT_TRUE(container.WaitForMonitorExit());
}

// A hook that hangs would hold `runc create` forever: the monitor kills the runtime and its
// hooks after --create-timeout and reports it.
TEST_F(MonitorRuncTest, CreateTimeoutKillsTheRuntimeAndItsHangingHook) {
  MonitoredContainer& container = NewContainer();
  const std::string hook_pid_file = container.path("hook.pid").string();
  container.MakeBundle({"true"}, [&](Json& config) {
    config["hooks"]["createRuntime"] = Json::array(
        {Json{{"path", "/bin/busybox"},
              {"args", {"busybox", "sh", "-c", "echo $$ > " + hook_pid_file + "; exec sleep 1000"}}}});
  });
  const Json sync = container.Launch({"--create-timeout", "2"});
  EXPECT_EQ(sync.value("pid", 0), -1) << container.sync_report();
  EXPECT_EQ(sync.value("timed_out", false), true) << container.sync_report();
  EXPECT_THAT(sync.value("message", ""), HasSubstr("did not finish within 2 s"));
  const int hook_pid = std::atoi(ReadText(hook_pid_file).c_str());
  ASSERT_GT(hook_pid, 0);
  // Gone, or a zombie left to whoever reaps it now.
  EXPECT_TRUE(WaitUntil([&] {
    const absl::StatusOr<util::ProcStat> stat = util::ReadProcStat(hook_pid);
    return !stat.ok() || stat->state == 'Z';
  }, seconds(10)));
  EXPECT_TRUE(container.WaitForMonitorExit());
}

class MonitorExecTest : public MonitorRuncTest {
 protected:
  void SetUp() override {
    MonitorRuncTest::SetUp();
    if (IsSkipped()) return;
    container_ = &NewContainer();
    container_->MakeBundle({"sleep", "1000"});
    ASSERT_GT(CreateAndStart(*container_), 0);
  }

  // Runs an exec through the monitor; returns its stdout (one JSON line) parsed, without the
  // path taken ("direct", "fallback"), which lands in `path_taken`.
  Json Exec(const std::vector<std::string>& args, int timeout_seconds, const std::vector<std::string>& extra = {}) {
    Json process = {{"args", args}, {"cwd", "/"}, {"env", {"PATH=/bin"}}, {"terminal", false},
                    {"user", {{"uid", 0}, {"gid", 0}}}};
    std::ofstream(container_->path("process.json")) << process.dump();
    std::vector<std::string> argv = {
        CLOISON_MONITOR_PATH, "--exec", "--id", container_->id(), "--runtime", kRunc, "--runtime-arg",
        "--root=" + container_->runc_root(), "--process-spec", container_->path("process.json").string(),
        "--stdout-file", container_->path("exec.out").string(), "--stderr-file",
        container_->path("exec.err").string(), "--timeout", std::to_string(timeout_seconds)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, seconds(60));
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return Json();
    EXPECT_EQ(result->exit_code, 0) << result->stderr_text;
    Json report = Json::parse(result->stdout_text, nullptr, false);
    path_taken = {{"direct", report.value("direct", true)}, {"fallback", report.value("fallback", "")}};
    report.erase("direct");
    report.erase("fallback");
    return report;
  }

  Json path_taken;

  MonitoredContainer* container_ = nullptr;
};

TEST_F(MonitorExecTest, CapturesOutputAndExitCode) {
  EXPECT_EQ(Exec({"sh", "-c", "echo out; echo err >&2; exit 5"}, 0), Json({{"exit_code", 5}, {"timed_out", false}}));
  EXPECT_EQ(ReadText(container_->path("exec.out")), "out\n");
  EXPECT_EQ(ReadText(container_->path("exec.err")), "err\n");
  EXPECT_FALSE(std::filesystem::exists(container_->path("exec.out.pid")));
}

TEST_F(MonitorExecTest, DirectExecNeedsASealedMonitor) {
  // Started from its file on disk, the monitor must not enter the container itself
  // (CVE-2019-5736): `runc exec` runs, with the same answer.
  EXPECT_EQ(Exec({"sh", "-c", "echo out; exit 4"}, 0, {"--direct-exec", "--bundle", container_->bundle()}),
            Json({{"exit_code", 4}, {"timed_out", false}}));
  EXPECT_EQ(path_taken["direct"], false);
  EXPECT_THAT(path_taken["fallback"].get<std::string>(), HasSubstr("sealed memfd"));
  EXPECT_EQ(ReadText(container_->path("exec.out")), "out\n");
}

TEST_F(MonitorExecTest, TimeoutKillsTheProcess) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Exec({"sh", "-c", "echo started; sleep 100"}, 1), Json({{"exit_code", -1}, {"timed_out", true}}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
  EXPECT_EQ(ReadText(container_->path("exec.out")), "started\n");
  // The exec'd sleep is gone from the container.
  absl::StatusOr<util::CommandResult> ps = container_->Runc({"ps", container_->id()});
  ASSERT_TRUE(ps.ok());
  EXPECT_THAT(ps->stdout_text, ::testing::Not(HasSubstr("sleep 100\n")));
}

TEST_F(MonitorExecTest, TimeoutHoldsUnderAnOutputFlood) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Exec({"cat", "/dev/zero"}, 1), Json({{"exit_code", -1}, {"timed_out", true}}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST_F(MonitorExecTest, OutputBeyond16MiBIsDropped) {
  EXPECT_EQ(Exec({"sh", "-c", "cat /bin/busybox /bin/busybox /bin/busybox /bin/busybox /bin/busybox "
                              "/bin/busybox /bin/busybox /bin/busybox /bin/busybox /bin/busybox; exit 0"},
                 0),
            Json({{"exit_code", 0}, {"timed_out", false}}));
  EXPECT_EQ(std::filesystem::file_size(container_->path("exec.out")), size_t{16} << 20);
}

TEST_F(MonitorRuncTest, OomKillIsDetected) {
  if (!std::filesystem::exists("/sys/fs/cgroup/memory/memory.oom_control") &&
      !std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers")) {
    GTEST_SKIP() << "no memory cgroup controller (v1 or v2) here";
  }
  MonitoredContainer& container = NewContainer();
  container.MakeBundle({"sh", "-c", "x=a; while true; do x=$x$x; done"}, [](Json& config) {
    config["linux"]["resources"]["memory"] = {{"limit", 16 << 20}, {"swap", 16 << 20}};
  });
  const Json sync = container.Launch();
  if (sync.value("pid", -1) < 0 && sync.value("message", "").find("memory") != std::string::npos) {
    GTEST_SKIP() << "runc cannot set a memory limit here: " << sync["message"];
  }
  ASSERT_GT(sync.value("pid", -1), 0) << container.sync_report();
  PacketClient ctl;
  ASSERT_TRUE(ctl.Connect(container.ctl_socket()));
  EXPECT_EQ(ctl.Call({{"op", "start"}}), Json({{"ok", true}}));
  const Json exit = container.WaitForExitFile(seconds(60));
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["signal"], 9);
  EXPECT_EQ(exit["exit_code"], 137);
  EXPECT_EQ(exit["oom_killed"], true);
}

}  // namespace
}  // namespace cloison::testing
