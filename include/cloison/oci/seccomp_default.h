// cloison's RuntimeDefault seccomp profile, as an OCI linux.seccomp object. It is an
// allow-list in the spirit of Docker's and containerd's defaults: anything not listed fails
// with EPERM (defaultAction SCMP_ACT_ERRNO, defaultErrnoRet 1). Syscalls that only make sense
// with a capability (mount, unshare, setns, ptrace, reboot, module loading, clock setting, ...)
// are allowed only when the process is granted that capability; without CAP_SYS_ADMIN, clone
// may not create namespaces and clone3 answers ENOSYS so that libcs fall back to clone.
// io_uring, keyctl, userfaultfd and AF_VSOCK sockets are never allowed. The names are not
// resolved here: seccomp_profile.h drops those libseccomp does not know.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cloison::oci {

// The SCMP_ARCH_* names of this build's host architecture and the ABIs its kernel also runs
// (x86_64: x86_64, x86, x32; aarch64: aarch64, arm).
std::vector<std::string> NativeSeccompArchitectures();

// The default profile for a process granted `capabilities` ("CAP_SYS_ADMIN", ...).
nlohmann::json DefaultSeccompProfile(const std::vector<std::string>& capabilities);

}  // namespace cloison::oci
