// Identifiers and clocks shared by the managers: random 64-hex object ids (like CRI-O and
// containerd), wall-clock nanoseconds, and id prefix matching as crictl uses it.
#pragma once

#include <cstdint>
#include <string>

namespace cloison::util {

// 32 random bytes from the kernel, hex encoded.
std::string NewObjectId();

int64_t NowNanos();

}  // namespace cloison::util
