// Creates a pod's network, IPC and UTS namespaces, and optionally its user namespace, and pins
// each to a file (a bind mount of the namespace's nsfs inode, as CRI-O's pinns does), so the
// namespaces outlive every process and runtimes join them by path ({"type": "network",
// "path": ...} in the OCI spec).
//
// With a user namespace (as pinns -U): the child unshares CLONE_NEWUSER first, cloisond
// writes its uid_map and gid_map (setgroups stays allowed: the writer is privileged in the
// parent namespace), the child becomes uid/gid 0 of the new namespace and only then unshares
// the others, so that they are owned by the pod's user namespace (the runtime may then mount
// sysfs and mqueue there, and the pod's root may write its network sysctls).
//
// cloisond is multi-threaded, so its threads never unshare: a forked child, doing only
// async-signal-safe calls, unshares the requested namespaces, sets the hostname, brings up
// the loopback interface (so pods without a CNI loopback plugin still have a working `lo`),
// writes the pod's sysctls from inside the new namespaces and then waits while cloisond
// bind-mounts /proc/<child>/ns/{net,ipc,uts,user} onto `<dir>/{net,ipc,uts,user}` (0444 files) in its
// own mount namespace. The mounts are plain (private) bind mounts: runtimes open the paths
// from cloisond's mount namespace. Any failure undoes what was done; no mount is left behind.
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cloison::sandbox {

struct PinRequest {
  bool network = false;
  bool ipc = false;
  bool uts = false;
  std::string hostname;                        // set in the new UTS namespace; needs uts
  std::map<std::string, std::string> sysctls;  // linux.sysctls; see namespaced_sysctl.h
  bool user = false;
  std::string uid_map, gid_map;  // with user: the /proc/<pid>/{uid,gid}_map text, one line each mapping
  std::string dir;  // absolute; created if missing, e.g. <state>/sandboxes/<id>/ns
};

// Absolute paths of the pinned files, "" for a namespace not requested.
struct PinnedNamespaces {
  std::string network;
  std::string ipc;
  std::string uts;
  std::string user;
  std::string pid;  // PinPidNamespace's, never PinNamespaces'
};

// INVALID_ARGUMENT (naming the field) for a bad request, a sysctl that is not allowed or a
// value the kernel rejects; ALREADY_EXISTS when a pin file is already there.
absl::StatusOr<PinnedNamespaces> PinNamespaces(const PinRequest& request);

// Pins the PID namespace of process `pid` (a pod's infra container) to `<dir>/pid` (`dir` is
// created if missing), so that containers join that namespace by a path no other process can
// take over once the infra container is gone (joining a PID namespace whose init has exited
// fails). Its path; ALREADY_EXISTS when the file is already there.
absl::StatusOr<std::string> PinPidNamespace(int pid, const std::string& dir);

// Unmounts and removes the pinned files. Idempotent: files already gone are fine.
absl::Status UnpinNamespaces(const PinnedNamespaces& pinned);

}  // namespace cloison::sandbox
