// Test harness for cloison-monitor against the real runc: a busybox OCI bundle in a temporary
// directory, a monitor launched the way cloisond launches it (sync pipe on fd 3), ctl and attach
// socket clients, and cleanup (runc delete -f, leftover cgroups, a still-running monitor).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../unit/test_tmpdir.h"
#include "cloison/util/command.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_address.h"
#include "nlohmann/json.hpp"
#include "runc_bundle.h"
#include "wait_until.h"

extern char** environ;

namespace cloison::testing {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// True when `pid` is a live cloison-monitor (so a recycled pid is never signalled).
inline bool IsMonitor(pid_t pid) {
  return ProcessAlive(pid) &&
         ReadText("/proc/" + std::to_string(pid) + "/cmdline").find("cloison-monitor") != std::string::npos;
}

// A SOCK_SEQPACKET client of one of the monitor's sockets.
class PacketClient {
 public:
  bool Connect(const std::string& path) {
    absl::StatusOr<util::UnixAddress> address = util::UnixSocketAddress(path);
    if (!address.ok()) return false;
    fd_.reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    return connect(fd_.get(), address->get(), address->length) == 0;
  }
  bool Send(const std::string& packet) { return send(fd_.get(), packet.data(), packet.size(), MSG_NOSIGNAL) >= 0; }
  // One packet; nullopt on timeout, "" on EOF.
  std::optional<std::string> Receive(milliseconds timeout = seconds(10)) {
    pollfd ready{fd_.get(), POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[65536];
    const ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }
  Json Call(const Json& request) {
    if (!Send(request.dump())) return Json();
    std::optional<std::string> reply = Receive(seconds(20));
    return reply ? Json::parse(*reply, nullptr, false) : Json();
  }
  void ShutdownWrite() { shutdown(fd_.get(), SHUT_WR); }
  int fd() const { return fd_.get(); }

 private:
  util::UniqueFd fd_;
};

// One container: its bundle, runc state root and the monitor's files, all under a temp dir.
class MonitoredContainer {
 public:
  explicit MonitoredContainer(const std::string& id) : id_(id) {}
  ~MonitoredContainer() { Cleanup(); }

  const std::string& id() const { return id_; }
  std::filesystem::path path(const std::string& relative) const { return dir_.path() / relative; }
  std::string bundle() const { return path("bundle").string(); }
  std::string runc_root() const { return path("runc").string(); }
  std::string log_path() const { return path("logs/ctr/0.log").string(); }
  std::string exit_file() const { return path("exit").string(); }
  std::string socket_dir() const { return path("s").string(); }
  std::string ctl_socket() const { return socket_dir() + "/ctl"; }
  std::string attach_socket() const { return socket_dir() + "/attach"; }

  // The busybox bundle (MakeBusyboxBundle) running `args`; `edit` may change its config.
  void MakeBundle(const std::vector<std::string>& args, const std::function<void(Json&)>& edit = {}) {
    EXPECT_TRUE(MakeBusyboxBundle(bundle(), id_, args, edit)) << "runc spec failed";
  }

  std::vector<std::string> MonitorArgs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {CLOISON_MONITOR_PATH, "--id", id_, "--bundle", bundle(),
                                     "--runtime", kRunc, "--runtime-arg", "--root=" + runc_root(),
                                     "--log-path", log_path(), "--exit-file", exit_file(),
                                     "--socket-dir", socket_dir(), "--pid-file", path("monitor.pid").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Starts the monitor with the write end of a sync pipe as fd 3 and returns what it reports
  // there (read until EOF). `spawner_exit` gets the exit status of the process started directly.
  Json Launch(const std::vector<std::string>& extra = {}, int* spawner_exit = nullptr) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return Json();
    util::UniqueFd read_end(fcntl(fds[0], F_DUPFD_CLOEXEC, 10));
    util::UniqueFd write_end(fcntl(fds[1], F_DUPFD_CLOEXEC, 10));
    close(fds[0]);
    close(fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), 3);
    std::vector<std::string> argv = MonitorArgs(extra);
    std::vector<char*> raw;
    for (std::string& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    pid_t spawner = -1;
    const int error = posix_spawn(&spawner, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    write_end.reset();
    if (error != 0) return Json();
    int status = 0;
    waitpid(spawner, &status, 0);
    if (spawner_exit) *spawner_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::string report;
    pollfd ready{read_end.get(), POLLIN, 0};
    while (poll(&ready, 1, 30000) > 0) {
      char buffer[4096];
      const ssize_t n = read(read_end.get(), buffer, sizeof(buffer));
      if (n <= 0) break;
      report.append(buffer, static_cast<size_t>(n));
    }
    sync_report_ = report;
    return Json::parse(report, nullptr, false);
  }
  const std::string& sync_report() const { return sync_report_; }

  pid_t MonitorPid() const {
    const std::string text = ReadText(path("monitor.pid"));
    return text.empty() ? -1 : std::stoi(text);
  }

  // The exit file once it appears (null Json on timeout).
  Json WaitForExitFile(milliseconds timeout = seconds(30)) const {
    if (!WaitUntil([&] { return std::filesystem::exists(exit_file()); }, timeout)) return Json();
    return Json::parse(ReadText(exit_file()), nullptr, false);
  }

  bool WaitForMonitorExit(milliseconds timeout = seconds(10)) const {
    const pid_t pid = MonitorPid();
    return WaitUntil([&] { return !ProcessAlive(pid); }, timeout);
  }

  absl::StatusOr<util::CommandResult> Runc(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kRunc, "--root=" + runc_root()};
    argv.insert(argv.end(), args.begin(), args.end());
    return util::RunCommand(argv, seconds(30));
  }

  void Cleanup() {
    if (cleaned_) return;
    cleaned_ = true;
    Runc({"delete", "-f", id_}).IgnoreError();
    const pid_t monitor = MonitorPid();
    if (IsMonitor(monitor)) kill(monitor, SIGKILL);
    RemoveTestCgroup(id_);
  }

 private:
  std::string id_;
  TempDir dir_;
  std::string sync_report_;
  bool cleaned_ = false;
};

}  // namespace cloison::testing
