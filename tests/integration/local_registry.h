// A real OCI distribution registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1 for
// one test, with the fixture images of tests/fixtures/build-images.sh pushed into it by skopeo.
//
//   auto registry = cloison::testing::LocalRegistry::Start(RegistryAuth::kToken);
//   ASSERT_NE(registry, nullptr);
//   const std::string digest = registry->Push("busybox", "library/busybox:1.0");
//   ... pull registry->host() + "/library/busybox:1.0" with kUser / kPassword ...
//
// Auth modes: kNone; kBasic (htpasswd, bcrypt); kToken (Bearer tokens from
// tests/fixtures/token_server.py, RS256 JWTs with an x5c certificate the registry trusts).
// Needs: docker-registry, skopeo, openssl, htpasswd (apache2-utils, kBasic), /usr/bin/python3
// (kToken). The target using it needs cloison_use_test_images(target) (tests/fixtures), which
// defines CLOISON_TEST_IMAGES_DIR and CLOISON_TOKEN_SERVER.
// Header-only; the processes it starts are SIGKILLed when it is destroyed, or when the thread
// that called Start() exits (PR_SET_PDEATHSIG): call Start() from the test's own thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "../unit/test_tmpdir.h"
#include "file_text.h"

#ifndef CLOISON_TEST_IMAGES_DIR
#error "CLOISON_TEST_IMAGES_DIR is not defined: call cloison_use_test_images(<target>) in CMake"
#endif
#ifndef CLOISON_TOKEN_SERVER
#error "CLOISON_TOKEN_SERVER is not defined: call cloison_use_test_images(<target>) in CMake"
#endif

namespace cloison::testing {

enum class RegistryAuth { kNone, kBasic, kToken };

// For GoogleTest messages and parameterized test names.
inline void PrintTo(RegistryAuth auth, std::ostream* os) {
  *os << (auth == RegistryAuth::kNone ? "kNone" : auth == RegistryAuth::kBasic ? "kBasic" : "kToken");
}

// Result of RunCommand: exit code (128+signal if killed, 127 if it could not exec) and the
// command's stdout and stderr, interleaved.
struct CommandResult {
  int exit_code = -1;
  std::string output;
  bool ok() const { return exit_code == 0; }
};

namespace registry_internal {

inline std::string Tail(const std::string& text, size_t max = 4000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

// Full path of `name` (searched in $PATH unless it has a '/'), or "" if not found.
inline std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Debian's python3 first: the token server needs only the standard library.
inline std::string Python3() {
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return FindProgram("python3");
}

// fork+exec `argv` (argv[0] already a full path) with stdin from /dev/null, stdout to
// `stdout_fd` and stderr to `stderr_fd`. The child is SIGKILLed when this thread's process dies.
inline pid_t Spawn(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (stdout_fd >= 0) dup2(stdout_fd, 1);
    if (stderr_fd >= 0) dup2(stderr_fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

inline int WaitExitCode(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A free TCP port on 127.0.0.1 (bound to port 0, read back, released; a race is possible, so
// callers retry when the port turns out to be taken).
inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// HTTP/1.0 GET http://127.0.0.1:port/path; returns the status code, or -1 if no answer.
inline int HttpGetStatus(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int status = -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" +
                                std::to_string(port) + "\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string reply;
      char buf[512];
      ssize_t n = 0;
      while (reply.find("\r\n") == std::string::npos &&
             (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        reply.append(buf, static_cast<size_t>(n));
      }
      // "HTTP/1.1 200 OK"
      const size_t space = reply.find(' ');
      if (reply.rfind("HTTP/", 0) == 0 && space != std::string::npos) {
        status = std::atoi(reply.c_str() + space + 1);
      }
    }
  }
  close(fd);
  return status;
}

}  // namespace registry_internal

// Runs `argv` (argv[0] searched in $PATH) to completion and returns its exit code and output.
inline CommandResult RunCommand(std::vector<std::string> argv) {
  CommandResult result;
  if (argv.empty()) return result;
  const std::string program = registry_internal::FindProgram(argv[0]);
  if (program.empty()) {
    result.exit_code = 127;
    result.output = argv[0] + ": not found in PATH";
    return result;
  }
  argv[0] = program;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  const pid_t pid = registry_internal::Spawn(argv, fds[1], fds[1]);
  close(fds[1]);
  char buf[8192];
  ssize_t n = 0;
  while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  result.exit_code = pid > 0 ? registry_internal::WaitExitCode(pid) : -1;
  return result;
}

class LocalRegistry {
 public:
  static constexpr const char* kUser = "cloison";
  static constexpr const char* kPassword = "s3cret-pass";
  // kToken: the registry's `service` (the JWT audience) and the token `issuer`.
  static constexpr const char* kService = "cloison-test-registry";
  static constexpr const char* kIssuer = "cloison-test-token-server";

  // The directory of fixture OCI layouts (tests/fixtures/build-images.sh's OUTDIR), and one
  // layout in it: "busybox", "multilayer", "multiarch", "zstd" (each tagged "latest").
  static std::string ImagesDir() { return CLOISON_TEST_IMAGES_DIR; }
  static std::string FixtureLayout(const std::string& fixture) {
    return ImagesDir() + "/" + fixture;
  }

  // Starts `docker-registry serve` on 127.0.0.1 (free port, retried if taken), storage in a
  // temporary directory, and waits until GET /v2/ answers (200; 401 with auth). On failure:
  // ADD_FAILURE() with the registry's log, and nullptr.
  static std::unique_ptr<LocalRegistry> Start(RegistryAuth auth = RegistryAuth::kNone) {
    std::unique_ptr<LocalRegistry> registry(new LocalRegistry(auth));
    std::string error;
    if (!registry->Setup(&error)) {
      ADD_FAILURE() << "LocalRegistry::Start failed: " << error;
      return nullptr;
    }
    return registry;
  }

  ~LocalRegistry() {
    Stop(&registry_pid_);
    Stop(&token_pid_);
  }
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  // Stops the registry (SIGKILL) and starts it again on the same port, storage and
  // configuration, waiting until GET /v2/ answers again (a registry restarting mid-pull). Call
  // it from the thread that called Start(). False, with the registry's log in `error`, when it
  // does not come back within 15 s.
  bool Restart(std::string* error) {
    Stop(&registry_pid_);
    return Serve(error) == ServeResult::kServing;
  }

  RegistryAuth auth() const { return auth_; }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // "cloison:s3cret-pass" for kBasic/kToken, "" for kNone (skopeo's --creds form).
  std::string creds() const {
    return auth_ == RegistryAuth::kNone ? "" : std::string(kUser) + ":" + kPassword;
  }
  // kToken: the token endpoint (the realm of the registry's WWW-Authenticate: Bearer), e.g.
  // "http://127.0.0.1:PORT/token"; "" otherwise.
  std::string token_realm() const { return token_realm_; }
  std::string storage_dir() const { return (dir_.path() / "storage").string(); }
  // Where the registry's filesystem driver keeps blob `digest` ("sha256:...").
  std::string BlobPath(const std::string& digest) const {
    const size_t colon = digest.find(':');
    const std::string algo = digest.substr(0, colon);
    const std::string hex = colon == std::string::npos ? "" : digest.substr(colon + 1);
    return storage_dir() + "/docker/registry/v2/blobs/" + algo + "/" + hex.substr(0, 2) + "/" +
           hex + "/data";
  }
  // The registry's access log (combined log format, from its stdout) and its application log
  // (stderr); the token server's log.
  std::string AccessLog() const { return ReadText(access_log_path()); }
  std::string Log() const { return ReadText(log_path()); }
  std::string TokenServerLog() const { return ReadText(token_log_path()); }

  // Pushes fixture layout `fixture` to `repo_and_tag` ("library/busybox:1.0") with
  // `skopeo copy --all --preserve-digests` (so the pushed digests are the layout's), with
  // credentials when auth is on. Returns the pushed manifest (or index) digest ("sha256:..."),
  // or "" after ADD_FAILURE().
  std::string Push(const std::string& fixture, const std::string& repo_and_tag) {
    const std::string digest_file =
        (dir_.path() / ("push-" + std::to_string(++push_counter_) + ".digest")).string();
    std::vector<std::string> args = {"skopeo", "--insecure-policy", "copy", "--quiet",
                                     "--all", "--preserve-digests", "--digestfile", digest_file,
                                     "--dest-tls-verify=false"};
    if (auth_ == RegistryAuth::kNone) {
      args.push_back("--dest-no-creds");
    } else {
      args.push_back("--dest-creds");
      args.push_back(creds());
    }
    args.push_back("oci:" + FixtureLayout(fixture) + ":latest");
    args.push_back("docker://" + host() + "/" + repo_and_tag);
    const CommandResult result = RunCommand(args);
    if (!result.ok()) {
      ADD_FAILURE() << "LocalRegistry::Push(" << fixture << ", " << repo_and_tag
                    << ") failed (exit " << result.exit_code << "): " << result.output
                    << "\nregistry log:\n" << registry_internal::Tail(Log());
      return "";
    }
    std::string digest = ReadText(digest_file);
    while (!digest.empty() && std::isspace(static_cast<unsigned char>(digest.back()))) {
      digest.pop_back();
    }
    if (digest.rfind("sha256:", 0) != 0) {
      ADD_FAILURE() << "LocalRegistry::Push: skopeo wrote no digest: '" << digest << "'";
      return "";
    }
    return digest;
  }

  // Overwrites the stored blob `digest` with different bytes of the same length (every byte
  // inverted), so the registry serves content that does not match its digest.
  void CorruptBlob(const std::string& digest) {
    const std::string path = BlobPath(digest);
    std::string data = ReadText(path);
    if (data.empty()) {
      ADD_FAILURE() << "LocalRegistry::CorruptBlob: no blob " << digest << " at " << path;
      return;
    }
    for (char& c : data) c = static_cast<char>(~c);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) ADD_FAILURE() << "LocalRegistry::CorruptBlob: could not write " << path;
  }

  // The number of GET requests the registry has logged for /v2/<any repo>/blobs/<digest>.
  // Makes a marker request first and waits (up to 2 s) until it shows in the access log, so
  // requests answered before the call are counted.
  int CountBlobGets(const std::string& digest) const {
    SyncAccessLog();
    const std::string log = AccessLog();
    const std::string suffix = "/blobs/" + digest;
    int count = 0;
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
      // 127.0.0.1 - - [date] "GET /v2/library/busybox/blobs/sha256:... HTTP/1.1" 200 ...
      const size_t start = line.find("\"GET /v2/");
      if (start == std::string::npos) continue;
      const size_t path_start = start + 5;
      const size_t path_end = line.find(' ', path_start);
      if (path_end == std::string::npos) continue;
      std::string path = line.substr(path_start, path_end - path_start);
      path = path.substr(0, path.find('?'));
      if (path.size() > suffix.size() &&
          path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        ++count;
      }
    }
    return count;
  }

 private:
  explicit LocalRegistry(RegistryAuth auth) : auth_(auth) {}

  std::string access_log_path() const { return (dir_.path() / "access.log").string(); }
  std::string log_path() const { return (dir_.path() / "registry.log").string(); }
  std::string token_log_path() const { return (dir_.path() / "token_server.log").string(); }

  static void Stop(pid_t* pid) {
    if (*pid > 0) {
      kill(*pid, SIGKILL);
      registry_internal::WaitExitCode(*pid);
      *pid = -1;
    }
  }

  void SyncAccessLog() const {
    const std::string marker = "/v2/?cloison-log-sync=" + std::to_string(++sync_counter_);
    registry_internal::HttpGetStatus(port_, marker);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (AccessLog().find(marker) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  bool Setup(std::string* error) {
    if (!std::filesystem::is_directory(FixtureLayout("busybox"))) {
      // Not fatal for Start (a test may push nothing), but say why Push would fail.
      std::fprintf(stderr, "LocalRegistry: no fixture images in %s (build target test_images)\n",
                   ImagesDir().c_str());
    }
    std::filesystem::create_directories(storage_dir());
    std::string auth_yaml;
    if (auth_ == RegistryAuth::kBasic) {
      const CommandResult htpasswd = RunCommand({"htpasswd", "-Bbn", kUser, kPassword});
      if (!htpasswd.ok()) {
        *error = "htpasswd (apache2-utils) failed: " + htpasswd.output;
        return false;
      }
      const std::string file = dir_.Write("htpasswd", htpasswd.output);
      auth_yaml = "auth:\n  htpasswd:\n    realm: cloison-test-registry\n    path: " + file + "\n";
    } else if (auth_ == RegistryAuth::kToken) {
      if (!StartTokenServer(error)) return false;
      auth_yaml = "auth:\n  token:\n    realm: " + token_realm_ + "\n    service: " + kService +
                  "\n    issuer: " + kIssuer + "\n    rootcertbundle: " +
                  (dir_.path() / "token" / "cert.pem").string() + "\n";
    }
    const std::string registry = registry_internal::FindProgram("docker-registry");
    if (registry.empty()) {
      *error = "docker-registry not found (apt-get install docker-registry)";
      return false;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = registry_internal::FreePort();
      if (port_ <= 0) {
        *error = std::string("no free port: ") + std::strerror(errno);
        return false;
      }
      config_path_ = dir_.Write(
          "config.yml",
          "version: 0.1\n"
          "log:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\n"
          "storage:\n  filesystem:\n    rootdirectory: " + storage_dir() + "\n"
          "  delete:\n    enabled: true\n"
          "http:\n  addr: " + host() + "\n  secret: cloison-test-secret\n" + auth_yaml);
      const ServeResult served = Serve(error);
      if (served == ServeResult::kServing) return true;
      if (served == ServeResult::kFailed) return false;
      const std::string log = Log();
      if (log.find("address already in use") == std::string::npos) {
        *error = "docker-registry exited:\n" + registry_internal::Tail(log);
        return false;
      }
      // Someone took the port between FreePort() and the registry's bind: try another.
    }
    *error = "docker-registry could not bind a port:\n" + registry_internal::Tail(Log());
    return false;
  }

  enum class ServeResult { kServing, kExited, kFailed };

  // Spawns `docker-registry serve config_path_` and waits until GET /v2/ answers as expected.
  // kExited: the registry exited first (the caller reads why in its log).
  ServeResult Serve(std::string* error) {
    const std::string registry = registry_internal::FindProgram("docker-registry");
    const int out = open(access_log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0644);
    const int err = open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    registry_pid_ = registry_internal::Spawn({registry, "serve", config_path_}, out, err);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    const int expected = auth_ == RegistryAuth::kNone ? 200 : 401;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(registry_pid_, &status, WNOHANG) == registry_pid_) {
        registry_pid_ = -1;
        *error = "docker-registry exited:\n" + registry_internal::Tail(Log());
        return ServeResult::kExited;
      }
      const int code = registry_internal::HttpGetStatus(port_, "/v2/");
      if (code == expected) return ServeResult::kServing;
      if (code > 0) {
        *error = "GET /v2/ answered " + std::to_string(code) + ", expected " +
                 std::to_string(expected) + "\n" + registry_internal::Tail(Log());
        return ServeResult::kFailed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stop(&registry_pid_);
    *error = "docker-registry did not answer GET /v2/ within 15 s\n" + registry_internal::Tail(Log());
    return ServeResult::kFailed;
  }

  bool StartTokenServer(std::string* error) {
    const std::filesystem::path token_dir = dir_.path() / "token";
    std::filesystem::create_directories(token_dir);
    const std::string key = (token_dir / "key.pem").string();
    const std::string cert = (token_dir / "cert.pem").string();
    const CommandResult openssl =
        RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=cloison-test-token-server"});
    if (!openssl.ok()) {
      *error = "openssl req failed: " + openssl.output;
      return false;
    }
    const std::string python = registry_internal::Python3();
    if (python.empty()) {
      *error = "python3 not found";
      return false;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      *error = std::string("pipe: ") + std::strerror(errno);
      return false;
    }
    const int err = open(token_log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0644);
    token_pid_ = registry_internal::Spawn(
        {python, CLOISON_TOKEN_SERVER, "--key", key, "--cert", cert, "--service", kService,
         "--issuer", kIssuer, "--user", kUser, "--password", kPassword},
        fds[1], err);
    close(fds[1]);
    if (err >= 0) close(err);
    // The first stdout line is the port.
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd pfd{fds[0], POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[64];
      const ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    const int token_port = std::atoi(line.c_str());
    if (token_port <= 0) {
      Stop(&token_pid_);
      *error = "token server did not report its port: '" + line + "'\n" +
               registry_internal::Tail(TokenServerLog());
      return false;
    }
    token_realm_ = "http://127.0.0.1:" + std::to_string(token_port) + "/token";
    return true;
  }

  RegistryAuth auth_;
  TempDir dir_;
  pid_t registry_pid_ = -1;
  pid_t token_pid_ = -1;
  int port_ = -1;
  std::string config_path_;
  std::string token_realm_;
  int push_counter_ = 0;
  mutable std::atomic<int> sync_counter_{0};
};

}  // namespace cloison::testing
