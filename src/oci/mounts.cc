#include "cloison/oci/mounts.h"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloison/util/errno_status.h"

namespace cloison::oci {
namespace {

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

// "/a//b/./c/../d/" -> "/a/b/d"; ".." stops at "/".
std::string CleanAbsolute(absl::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

size_t Depth(const std::string& clean) {
  return clean == "/" ? 0 : static_cast<size_t>(std::count(clean.begin(), clean.end(), '/'));
}

std::vector<Mount> DefaultMounts(const MountsInput& input) {
  const std::string sys_mode = input.privileged ? "rw" : "ro";
  std::vector<Mount> mounts = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      input.sysfs_as_bind
          ? Mount{"/sys", "bind", "/sys", {"rbind", "rprivate", "nosuid", "noexec", "nodev", sys_mode}}
          : Mount{"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", sys_mode}},
  };
  if (input.shm_path.empty()) {
    mounts.push_back(
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}});
  } else {
    mounts.push_back({"/dev/shm",
                      "bind",
                      input.shm_path,
                      {"rbind", "rprivate", "nosuid", "nodev", "noexec",
                       input.sandbox_container ? "ro" : "rw"}});
  }
  const std::string file_mode = input.readonly_rootfs || input.sandbox_container ? "ro" : "rw";
  const std::pair<const char*, const std::string*> files[] = {
      {"/etc/resolv.conf", &input.resolv_conf_path},
      {"/etc/hosts", &input.hosts_path},
      {"/etc/hostname", &input.hostname_path}};
  for (const auto& [destination, source] : files) {
    if (source->empty()) continue;
    mounts.push_back({destination,
                      "bind",
                      *source,
                      {"rbind", "rprivate", "nosuid", "nodev", "noexec", file_mode}});
  }
  return mounts;
}

// The bind mount for CRI mount `i`; raises the rootfs propagation when the mount needs it.
absl::StatusOr<Mount> CriMount(const ::runtime::v1::Mount& m, int i, std::string& propagation) {
  const std::string field = absl::StrCat("config.mounts[", i, "]");
  if (!absl::StartsWith(m.container_path(), "/")) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".container_path: \"", m.container_path(),
                                                   "\" is not an absolute path"));
  }
  if (CleanAbsolute(m.container_path()) == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".container_path: the container's root cannot be a mount destination"));
  }
  if (!absl::StartsWith(m.host_path(), "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".host_path: \"", m.host_path(), "\" is not an absolute path",
        m.has_image() ? " (image volumes must be resolved to a host path first)" : ""));
  }
  if (!m.uidmappings().empty() || !m.gidmappings().empty()) {
    return absl::UnimplementedError(
        absl::StrCat(field, ": ID-mapped mounts (uidMappings/gidMappings) are not supported"));
  }
  std::unique_ptr<char, decltype(&free)> real(realpath(m.host_path().c_str(), nullptr), &free);
  if (real == nullptr) {
    const int error = errno;
    const std::string message = absl::StrCat(field, ".host_path: \"", m.host_path(), "\"");
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(message, " does not exist"));
    }
    return util::SystemCallErrorOf(absl::ErrnoToStatusCode(error), error, absl::StrCat(message, " cannot be resolved"));
  }

  Mount mount{CleanAbsolute(m.container_path()), "bind", real.get(), {"rbind"}};
  switch (m.propagation()) {
    case ::runtime::v1::PROPAGATION_HOST_TO_CONTAINER:
      mount.options.push_back("rslave");
      if (propagation != "rshared") propagation = "rslave";
      break;
    case ::runtime::v1::PROPAGATION_BIDIRECTIONAL:
      mount.options.push_back("rshared");
      propagation = "rshared";
      break;
    default:
      mount.options.push_back("rprivate");
      break;
  }
  if (m.recursive_read_only()) {
    if (!m.readonly() || m.propagation() != ::runtime::v1::PROPAGATION_PRIVATE) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".recursive_read_only: needs readonly and PROPAGATION_PRIVATE"));
    }
    mount.options.push_back("rro");
  } else {
    mount.options.push_back(m.readonly() ? "ro" : "rw");
  }
  for (int j = 0; j < m.mount_options_size(); ++j) {
    const std::string& option = m.mount_options(j);
    if (option != "noexec" && option != "nodev" && option != "nosuid") {
      return absl::InvalidArgumentError(absl::StrCat(field, ".mount_options[", j, "]: \"", option,
                                                     "\" is not one of noexec, nodev, nosuid"));
    }
    mount.options.push_back(option);
  }
  return mount;
}

}  // namespace

absl::StatusOr<MountsResult> BuildMounts(const MountsInput& input) {
  MountsResult result;
  std::vector<Mount> cri;
  std::map<std::string, int> cri_index;  // destination -> CRI index
  if (input.cri_mounts != nullptr) {
    for (int i = 0; i < input.cri_mounts->size(); ++i) {
      absl::StatusOr<Mount> mount = CriMount((*input.cri_mounts)[i], i, result.rootfs_propagation);
      if (!mount.ok()) return mount.status();
      if (const auto [it, inserted] = cri_index.emplace(mount->destination, i); !inserted) {
        return absl::InvalidArgumentError(
            absl::StrCat("config.mounts[", i, "].container_path: \"", mount->destination,
                         "\" is also the destination of config.mounts[", it->second, "]"));
      }
      cri.push_back(*std::move(mount));
    }
  }

  const bool cri_dev = cri_index.contains("/dev");
  std::vector<Mount> mounts;
  for (Mount& mount : DefaultMounts(input)) {
    if (cri_index.contains(mount.destination)) continue;
    if (cri_dev && absl::StartsWith(mount.destination, "/dev/")) continue;
    mounts.push_back(std::move(mount));
  }
  mounts.insert(mounts.end(), std::make_move_iterator(cri.begin()),
                std::make_move_iterator(cri.end()));
  std::stable_sort(mounts.begin(), mounts.end(), [](const Mount& a, const Mount& b) {
    return Depth(a.destination) < Depth(b.destination);
  });

  for (const Mount& mount : mounts) {
    result.mounts.push_back({{"destination", mount.destination},
                             {"type", mount.type},
                             {"source", mount.source},
                             {"options", mount.options}});
  }
  return result;
}

}  // namespace cloison::oci
