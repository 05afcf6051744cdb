// Which kernel sysctls a pod may set, and the /proc/sys file of each. Only sysctls that belong
// to a namespace the pod gets of its own are allowed, as runc and CRI-O decide: net.* needs a
// new network namespace; kernel.shmall, kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced,
// kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem and fs.mqueue.* a new IPC namespace;
// kernel.hostname and kernel.domainname a new UTS namespace.
// Keys come in either of Kubernetes' spellings: dotted ("net.ipv4.conf.eth0/100.forwarding",
// where '/' stands for a '.' inside a name) or slashed ("net/ipv4/conf/eth0.100/forwarding").
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::sandbox {

// Which namespaces the pod gets of its own (false: it shares the host's).
struct OwnNamespaces {
  bool network = false;
  bool ipc = false;
  bool uts = false;
};

// The absolute /proc/sys path of `key`, or INVALID_ARGUMENT naming linux.sysctls["key"] when
// the key is malformed, not namespaced, or belongs to a namespace the pod shares with the host.
absl::StatusOr<std::string> NamespacedSysctlPath(absl::string_view key, const OwnNamespaces& own);

}  // namespace cloison::sandbox
