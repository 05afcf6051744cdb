#include "cloison/runtime/exit_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/logging.h"
#include "cloison/util/unix_socket.h"

namespace cloison::runtime {
namespace {

// Exit files are named by the container id alone; the monitor's temporary files carry a dot.
bool IsExitFileName(const std::string& name) { return !name.empty() && name.find('.') == std::string::npos; }

}  // namespace

ExitWatcher::ExitWatcher(std::string dir, Callback on_exit) : dir_(std::move(dir)), on_exit_(std::move(on_exit)) {}

ExitWatcher::~ExitWatcher() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(stop_event_.get(), &one, sizeof(one));
    thread_.join();
  }
}

absl::Status ExitWatcher::Start() {
  if (absl::Status s = util::MakeDirs(dir_, 0700); !s.ok()) return s;
  inotify_.reset(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify_.valid()) return util::SystemCallError("inotify_init1");
  stop_event_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_event_.valid()) return util::SystemCallError("eventfd");
  if (inotify_add_watch(inotify_.get(), dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return util::SystemCallError("watching ", dir_);
  }
  // Exits recorded before the watch existed.
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_);
  if (!entries.ok()) return entries.status();
  for (const util::DirectoryEntry& entry : *entries) {
    if (IsExitFileName(entry.name)) on_exit_(entry.name);
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void ExitWatcher::Run() {
  alignas(inotify_event) char buffer[16384];
  while (true) {
    pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("exit watcher on {} stopped: {}", dir_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    const ssize_t n = read(inotify_.get(), buffer, sizeof(buffer));
    if (n <= 0) continue;
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      if (event->len > 0) {
        const std::string name = event->name;
        if (IsExitFileName(name)) on_exit_(name);
      }
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

}  // namespace cloison::runtime
