// Watches the directory where cloison-monitors write exit files (<state>/exits/<container
// id>) with inotify and calls back with the container id of each new one, on its own thread.
// Files that exist when watching starts are reported too, so no exit is missed.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "cloison/util/unique_fd.h"

namespace cloison::runtime {

class ExitWatcher {
 public:
  using Callback = std::function<void(const std::string& container_id)>;

  ExitWatcher(std::string dir, Callback on_exit);
  ~ExitWatcher();  // stops the thread

  absl::Status Start();

 private:
  void Run();

  std::string dir_;
  Callback on_exit_;
  util::UniqueFd inotify_;
  util::UniqueFd stop_event_;
  std::thread thread_;
};

}  // namespace cloison::runtime
