// cloisond: the Cloison CRI daemon's entry point.
#include <malloc.h>

#include <iostream>

#include "absl/synchronization/mutex.h"
#include "check_handlers.h"
#include "cli.h"
#include "cloison/config/loader.h"
#include "cloison/config/serialize.h"
#include "cloison/util/version.h"
#include "daemon.h"

int main(int argc, char** argv) {
  using namespace cloison;
  // Two malloc arenas instead of glibc's eight per core: the daemon's threads mostly wait, and
  // each extra arena keeps freed pages resident (about 1 MiB of idle RSS measured).
  mallopt(M_ARENA_MAX, 2);
  // Debian's abseil is built without NDEBUG, so every absl::Mutex acquisition (gRPC's own
  // locks included) would also update a process-wide lock-order graph under a global lock.
  // The order checks stay on in the unit tests, which do not run this main.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<cloisond::Invocation> invocation =
      cloisond::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!invocation.ok()) {
    std::cerr << "cloisond: " << invocation.status().message() << "\n";
    return 1;
  }
  switch (invocation->command) {
    case cloisond::Command::kVersion:
      std::cout << "cloisond version " << util::Version() << "\nCRI API version v1\n";
      return 0;
    case cloisond::Command::kHelp:
      std::cout << cloisond::UsageText();
      return 0;
    case cloisond::Command::kPrintConfig:
    case cloisond::Command::kCheckHandlers:
    case cloisond::Command::kServe:
      break;
  }
  absl::StatusOr<config::Config> loaded = config::LoadConfig(invocation->sources);
  if (!loaded.ok()) {
    std::cerr << "cloisond: configuration error: " << loaded.status().message() << "\n";
    return 1;
  }
  if (invocation->command == cloisond::Command::kPrintConfig) {
    std::cout << config::ToToml(*loaded);
    return 0;
  }
  if (invocation->command == cloisond::Command::kCheckHandlers) return cloisond::CheckHandlers(*loaded);
  return cloisond::RunDaemon(invocation->sources, *loaded);
}
