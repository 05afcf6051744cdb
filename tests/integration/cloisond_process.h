// Starts the real cloisond binary for a test, in its own temporary root, state, socket and
// config directory, and gives CRI clients for it. The process is SIGKILLed if the test
// leaves it running.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "cloison/cri/api.h"
#include "../unit/test_tmpdir.h"
#include "file_text.h"

namespace cloison::testing {

struct ExitResult {
  bool exited = false;
  int code = -1;
};

class CloisondProcess {
 public:
  // Lays out <tmp>/cloison.toml (empty unless `main_toml`), <tmp>/conf.d, <tmp>/cni.
  explicit CloisondProcess(const std::string& main_toml = "") {
    dir_.Write("cloison.toml", main_toml + "\n[network]\ncni_config_dir = \"" +
                                   (dir_.path() / "cni").string() + "\"\n");
    std::filesystem::create_directories(dir_.path() / "conf.d");
    std::filesystem::create_directories(dir_.path() / "cni");
  }
  ~CloisondProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  const TempDir& dir() const { return dir_; }
  std::string socket_path() const { return (dir_.path() / "run/cloison.sock").string(); }
  std::string log_path() const { return (dir_.path() / "cloisond.log").string(); }
  pid_t pid() const { return pid_; }

  std::vector<std::string> Args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {CLOISOND_PATH,
                                     "--config", (dir_.path() / "cloison.toml").string(),
                                     "--config-dir", (dir_.path() / "conf.d").string(),
                                     "--listen", "unix://" + socket_path(),
                                     "--root", (dir_.path() / "root").string(),
                                     "--state", (dir_.path() / "state").string(),
                                     "--log-level", "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Starts cloisond and waits until its socket answers. False if it exited first.
  bool Start() {
    pid_ = Spawn(Args(), log_path());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Exited(std::chrono::milliseconds(0)).exited) return false;
      if (Channel()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::milliseconds(100))) {
        return true;
      }
    }
    return false;
  }

  // Runs cloisond with `args` to completion; returns its exit code and stderr+stdout.
  static std::pair<int, std::string> RunToCompletion(const std::vector<std::string>& args,
                                                     const std::string& output_path) {
    const pid_t pid = Spawn(args, output_path);
    int status = 0;
    waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadText(output_path)};
  }

  ExitResult Exited(std::chrono::milliseconds wait) {
    if (pid_ <= 0) return {true, exit_code_};
    const auto deadline = std::chrono::steady_clock::now() + wait;
    do {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return {true, exit_code_};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return {false, -1};
  }

  // Each channel gets its own connection (a local subchannel pool). With gRPC's global pool,
  // a new channel would share the connection of an older client to a cloisond that was just
  // SIGKILLed, which still looks READY while nobody polls it: Start() would then report a
  // restarted cloisond as serving before it has bound its socket, and the next call fail.
  std::shared_ptr<grpc::Channel> Channel() const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel("unix://" + socket_path(), grpc::InsecureChannelCredentials(), args);
  }
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> Runtime() const {
    return ::runtime::v1::RuntimeService::NewStub(Channel());
  }
  std::unique_ptr<::runtime::v1::ImageService::Stub> Images() const {
    return ::runtime::v1::ImageService::NewStub(Channel());
  }

  std::string Log() const { return ReadText(log_path()); }

 private:
  static pid_t Spawn(const std::vector<std::string>& args, const std::string& output_path) {
    const pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      const int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
      }
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace cloison::testing
