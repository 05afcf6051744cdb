// `cloisond check-handlers`: tells what each configured runtime handler can do on this node.
// For every [runtimes.<name>] it prints whether the binary is there and runs one throwaway
// container (cloison-pause -v on a pause root filesystem): for "oci" handlers with the
// handler's runtime root and arguments, for "vm" handlers through its shim v2 and
// cloison-monitor as pods would, after reporting whether /dev/kvm can be opened. It reports
// whether the container ran. Needs root, like cloisond. Scratch bundles go under
// <state>/check-handlers and are removed.
#pragma once

#include "cloison/config/config.h"

namespace cloison::cloisond {

// Prints one line per handler to stdout; returns 0 when every handler works, 1 otherwise.
int CheckHandlers(const config::Config& config);

}  // namespace cloison::cloisond
