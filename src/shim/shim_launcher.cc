#include "cloison/shim/shim_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/command.h"
#include "cloison/util/errno_status.h"
#include "containerd/runtime/bootstrap/v1/bootstrap.pb.h"
#include "nlohmann/json.hpp"

namespace cloison::shim {
namespace {

constexpr int kDebugLogLevel = -4;  // BootstrapParams' LogLevel DEBUG
constexpr auto kKilledShimWait = std::chrono::seconds(1);

std::vector<std::string> ShimArgv(const ShimStartOptions& options) {
  std::vector<std::string> argv = {options.shim_path, "-namespace",      options.ns,
                                   "-address",        options.address,   "-publish-binary",
                                   options.publish_binary, "-id",         options.id};
  if (options.debug) argv.push_back("-debug");
  return argv;
}

std::string SerializedBootstrapParams(const ShimStartOptions& options) {
  containerd::runtime::bootstrap::v1::BootstrapParams params;
  params.set_instance_id(options.id);
  params.set_namespace_(options.ns);
  if (options.debug) params.set_log_level(kDebugLogLevel);
  params.set_containerd_ttrpc_address(options.ttrpc_address);
  params.set_containerd_grpc_address(options.address);
  params.set_containerd_binary(options.publish_binary);
  return params.SerializeAsString();
}

util::CommandInput ShimInput(const ShimStartOptions& options) {
  util::CommandInput input;
  if (options.send_bootstrap_params) input.stdin_data = SerializedBootstrapParams(options);
  input.env = {absl::StrCat("TTRPC_ADDRESS=", options.ttrpc_address), absl::StrCat("GRPC_ADDRESS=", options.address),
               absl::StrCat("NAMESPACE=", options.ns), "MAX_SHIM_VERSION=2", "GOMAXPROCS=2",
               // The bundle as named, not as resolved: Go's os.Getwd answers $PWD when it is the
               // working directory, so a shim sees a bundle reached through a link by the link's name.
               absl::StrCat("PWD=", options.bundle)};
  input.cwd = options.bundle;
  return input;
}

bool LooksLikeAddress(absl::string_view text) {
  if (text.empty() || text.size() > 4096) return false;
  for (const char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || !absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return absl::StartsWith(text, "unix://") || absl::StartsWith(text, "/") || absl::StartsWith(text, "@") ||
         absl::StartsWith(text, "vsock://") || absl::StartsWith(text, "hvsock://");
}

std::string CommandFailure(const char* action, const util::CommandResult& result) {
  return absl::StrCat("shim ", action, " exited with status ", result.exit_code, ": ",
                      absl::StripAsciiWhitespace(result.stderr_text.empty() ? result.stdout_text : result.stderr_text));
}

}  // namespace

absl::StatusOr<util::UniqueFd> OpenShimLogFifo(const std::string& bundle) {
  const std::string path = bundle + "/log";
  if (mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) {
    return util::SystemCallError("mkfifo ", path);
  }
  util::UniqueFd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return util::SystemCallError("opening ", path);
  return fd;
}

absl::StatusOr<std::string> ParseStartOutput(absl::string_view output) {
  // A bare address can also decode as protobuf (as unknown fields), so the text forms are
  // tried first: a bare address, then JSON, then a BootstrapResult.
  const absl::string_view trimmed = absl::StripAsciiWhitespace(output);
  if (LooksLikeAddress(trimmed)) return std::string(trimmed);
  std::string address;
  std::string protocol;
  const nlohmann::json json = nlohmann::json::parse(trimmed, nullptr, false);
  containerd::runtime::bootstrap::v1::BootstrapResult result;
  if (json.is_object() && json.contains("address") && json["address"].is_string()) {
    address = json["address"].get<std::string>();
    if (json.contains("protocol") && json["protocol"].is_string()) protocol = json["protocol"].get<std::string>();
  } else if (result.ParseFromArray(output.data(), static_cast<int>(output.size()))) {
    address = result.address();
    protocol = result.protocol();
  }
  if (!LooksLikeAddress(address)) {
    return absl::InvalidArgumentError(absl::StrCat("shim start output is no address, JSON or BootstrapResult: \"",
                                                   absl::CHexEscape(output.substr(0, 200)), "\""));
  }
  if (!protocol.empty() && protocol != "ttrpc") {
    return absl::FailedPreconditionError(
        absl::StrCat("shim serves protocol \"", protocol, "\" at ", address, "; only ttrpc is supported"));
  }
  return address;
}

absl::StatusOr<std::string> StartShim(const ShimStartOptions& options) {
  std::vector<std::string> argv = ShimArgv(options);
  argv.push_back("start");
  absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, options.timeout, ShimInput(options));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) return absl::InternalError(CommandFailure("start", *result));
  absl::StatusOr<std::string> address = ParseStartOutput(result->stdout_text);
  if (!address.ok()) {
    return absl::Status(address.status().code(), absl::StrCat(address.status().message(), "; stderr: ",
                                                              absl::StripAsciiWhitespace(result->stderr_text)));
  }
  return address;
}

absl::Status DeleteWithShimBinary(const ShimStartOptions& options) {
  std::vector<std::string> argv = ShimArgv(options);
  argv.insert(argv.end(), {"-bundle", options.bundle, "delete"});
  absl::StatusOr<util::CommandResult> result = util::RunCommand(argv, options.timeout, ShimInput(options));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) return absl::InternalError(CommandFailure("delete", *result));
  return absl::OkStatus();
}

absl::StatusOr<ShimProcess> ShimProcess::Hold(int pid) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("shim pid ", pid, " names no process"));
  // Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link it.
  util::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) {
    if (errno == ESRCH) return absl::NotFoundError(absl::StrCat("shim pid ", pid, " is gone"));
    return util::SystemCallError("pidfd_open(", pid, ")");
  }
  return ShimProcess(pid, std::move(pidfd));
}

bool ShimProcess::ExitsWithin(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd exited{pidfd_.get(), POLLIN, 0};
    // A pidfd polls readable once its process has exited (a zombie counts).
    const int ready =
        poll(&exited, 1, static_cast<int>(std::clamp<int64_t>(left.count(), 0, std::numeric_limits<int>::max())));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

absl::Status ShimProcess::Kill() const {
  if (syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH) {
    return util::SystemCallError("pidfd_send_signal(", pid_, ", SIGKILL)");
  }
  if (!ExitsWithin(kKilledShimWait)) {
    return absl::DeadlineExceededError(
        absl::StrCat("shim pid ", pid_, " still runs ", kKilledShimWait.count(), " s after SIGKILL"));
  }
  return absl::OkStatus();
}

}  // namespace cloison::shim
