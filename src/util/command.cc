#include "cloison/util/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"

extern char** environ;

namespace cloison::util {
namespace {

constexpr size_t kMaxCapture = 16 << 20;

int WaitForExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Writes what is left of the program's stdin without blocking; closes it when all is written
// or the program stopped reading. A socket rather than a pipe, so MSG_NOSIGNAL spares SIGPIPE.
void FeedStdin(UniqueFd& in_fd, absl::string_view& pending) {
  const ssize_t n = send(in_fd.get(), pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) pending.remove_prefix(static_cast<size_t>(n));
  if (pending.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) in_fd.reset();
}

// Feeds stdin and reads both pipes until they close or the deadline passes. Returns false on
// timeout.
bool DrainUntilClosed(UniqueFd& in_fd, absl::string_view stdin_data, UniqueFd& out_fd, UniqueFd& err_fd,
                      CommandResult& result, std::chrono::steady_clock::time_point deadline) {
  while (out_fd.valid() || err_fd.valid()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3] = {{out_fd.get(), POLLIN, 0}, {err_fd.get(), POLLIN, 0}, {in_fd.get(), POLLOUT, 0}};
    const int ready = poll(fds, 3, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return false;
    if (fds[2].revents != 0) FeedStdin(in_fd, stdin_data);
    UniqueFd* pipes[2] = {&out_fd, &err_fd};
    std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      char buffer[8192];
      const ssize_t n = read(pipes[i]->get(), buffer, sizeof(buffer));
      if (n > 0) {
        if (sinks[i]->size() < kMaxCapture) sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        pipes[i]->reset();
      }
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<pid_t> SpawnWithDefaultSignals(const std::string& program, const std::vector<std::string>& argv,
                                              const posix_spawn_file_actions_t& actions, char* const* envp,
                                              ProcessGroup group) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all_signals, no_signals;
  sigfillset(&all_signals);
  sigemptyset(&no_signals);
  posix_spawnattr_setsigdefault(&attr, &all_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (group == ProcessGroup::kOwn) {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), envp);
  posix_spawnattr_destroy(&attr);
  if (error != 0) return SystemCallErrorOf(error, absl::StrCat("starting ", program));
  return pid;
}

absl::StatusOr<std::string> FindExecutable(const std::string& name) {
  if (name.empty()) return absl::NotFoundError("empty program name");
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return SystemCallErrorOf(absl::StatusCode::kNotFound, errno, name);
  }
  const char* path_env = getenv("PATH");
  const std::string search_path =
      path_env && *path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (absl::string_view dir : absl::StrSplit(search_path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(name, " not found in PATH (", search_path, ")"));
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) {
  return RunCommand(argv, timeout, CommandInput{});
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout, const CommandInput& input) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  absl::StatusOr<std::string> program = FindExecutable(input.program.empty() ? argv[0] : input.program);
  if (!program.ok()) return program.status();

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return SystemCallError("pipe2 (stdout)");
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return SystemCallError("pipe2 (stderr)");
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  UniqueFd in_write, in_read;
  if (!input.stdin_data.empty()) {
    int in_pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) return SystemCallError("socketpair (stdin)");
    in_write.reset(in_pair[0]);
    in_read.reset(in_pair[1]);
    shutdown(in_read.get(), SHUT_WR);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_read.valid()) {
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  if (!input.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, input.cwd.c_str());
  std::vector<char*> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view name = absl::string_view(*entry).substr(0, absl::string_view(*entry).find('='));
    bool replaced = false;
    for (const std::string& extra : input.env) replaced = replaced || absl::StartsWith(extra, absl::StrCat(name, "="));
    if (!replaced) env.push_back(*entry);
  }
  for (const std::string& extra : input.env) env.push_back(const_cast<char*>(extra.c_str()));
  env.push_back(nullptr);
  absl::StatusOr<pid_t> spawned = SpawnWithDefaultSignals(*program, argv, actions, env.data(), ProcessGroup::kOwn);
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  err_write.reset();
  in_read.reset();
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!DrainUntilClosed(in_write, input.stdin_data, out_read, err_read, result, deadline)) {
    // The group, not only the pid: a timed-out CNI plugin's or runtime's children go too. The
    // child is not reaped yet, so its pid (the group's id) cannot have been reused.
    kill(-pid, SIGKILL);
    WaitForExit(pid);
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish within ", timeout.count(), " ms"));
  }
  result.exit_code = WaitForExit(pid);
  return result;
}

}  // namespace cloison::util
