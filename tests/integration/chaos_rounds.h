// What the crash and race explorations (lifecycle, image and streaming chaos tests) share: the
// seeds of their rounds, the names in a directory for their leftover checks, and a second
// SIGKILL of cloisond while it recovers from the first.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cloisond_process.h"
#include "host_probes.h"

namespace cloison::testing {

// The seeds in environment variable `variable` ("<n>,<n>,..."); `committed` when it is unset
// or empty.
inline std::vector<uint32_t> ChaosSeeds(const char* variable, std::span<const uint32_t> committed) {
  const char* listed = std::getenv(variable);
  if (listed == nullptr || *listed == '\0') return {committed.begin(), committed.end()};
  std::vector<uint32_t> seeds;
  std::stringstream text(listed);
  for (std::string seed; std::getline(text, seed, ',');) seeds.push_back(static_cast<uint32_t>(std::stoul(seed)));
  return seeds;
}

// The names in `dir`; none when it does not exist.
inline std::vector<std::string> EntriesOf(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  return names;
}

// Starts `daemon` and SIGKILLs it `delay` after its process appeared: while it recovers, or
// soon after. The caller asserts nothing more than that it ended.
inline void CrashDuringRecovery(CloisondProcess& daemon, std::chrono::milliseconds delay) {
  const std::string dir = daemon.dir().path().string();
  std::jthread killer([&] {
    std::vector<int> pids;
    WaitUntil([&] { return !(pids = ProcessesMatching(CLOISOND_PATH, dir)).empty(); }, std::chrono::seconds(5));
    std::this_thread::sleep_for(delay);
    for (int pid : pids) kill(pid, SIGKILL);
  });
  (void)daemon.Start();
  killer.join();
  ASSERT_TRUE(daemon.Exited(std::chrono::seconds(5)).exited);
}

}  // namespace cloison::testing
