#include "cloison/storage/overlay_rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloison/storage/idmapped_mount.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/mount_point.h"
#include "cloison/util/unique_fd.h"
#include "cloison/util/unix_socket.h"

namespace cloison::storage {
namespace {

namespace fs = std::filesystem;

// The kernel takes at most one page of mount options.
constexpr size_t kMaxMountData = 4095;

}  // namespace

OverlayRootfs::OverlayRootfs(std::string dir) : dir_(std::move(dir)) {}

std::string OverlayRootfs::UpperDir(const std::string& container_id) const {
  return absl::StrCat(dir_, "/", container_id, "/upper");
}

std::string OverlayRootfs::MountPoint(const std::string& container_id) const {
  return absl::StrCat(dir_, "/", container_id, "/merged");
}

bool OverlayRootfs::IsMounted(const std::string& container_id) const {
  absl::StatusOr<bool> mounted = util::IsMountPoint(MountPoint(container_id));
  return mounted.ok() && *mounted;
}

absl::StatusOr<std::vector<std::string>> OverlayRootfs::MapLayers(const std::string& base,
                                                                  const std::vector<std::string>& lower,
                                                                  const RootfsIdMap& idmap) {
  if (absl::Status s = UnmountLayers(base); !s.ok()) return s;  // what a failed attempt left
  util::UniqueFd userns(open(idmap.userns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns.valid()) return util::SystemCallError("opening the pod user namespace ", idmap.userns_path);
  std::vector<std::string> mapped;
  for (size_t i = 0; i < lower.size(); ++i) {
    const std::string target = absl::StrCat(base, "/lower/", i);
    absl::Status s = util::MakeDirs(target, 0755);
    if (s.ok()) s = MountIdMapped(lower[i], target, userns.get());
    if (!s.ok()) {
      (void)UnmountLayers(base);
      return s;
    }
    mapped.push_back(target);
  }
  for (const char* sub : {"upper", "work"}) {
    const std::string path = absl::StrCat(base, "/", sub);
    if (chown(path.c_str(), idmap.root_uid, idmap.root_gid) != 0) {
      const absl::Status s = util::SystemCallError("chown ", path);
      (void)UnmountLayers(base);
      return s;
    }
  }
  return mapped;
}

absl::Status OverlayRootfs::UnmountLayers(const std::string& base) {
  const std::string lower = absl::StrCat(base, "/lower");
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(lower);
  if (!entries.ok()) return absl::OkStatus();  // never mapped
  absl::Status result;
  for (const util::DirectoryEntry& entry : *entries) result.Update(util::DetachMounts(absl::StrCat(lower, "/", entry.name)));
  return result;
}

absl::StatusOr<std::string> OverlayRootfs::Mount(const std::string& container_id,
                                                 const std::vector<std::string>& layer_dirs,
                                                 const std::optional<RootfsIdMap>& idmap) {
  const std::string base = absl::StrCat(dir_, "/", container_id);
  const std::string merged = MountPoint(container_id);
  if (IsMounted(container_id)) return merged;
  for (const char* sub : {"upper", "work", "merged", "empty"}) {
    if (absl::Status s = util::MakeDirs(absl::StrCat(base, "/", sub), 0755); !s.ok()) return s;
  }
  // overlayfs lists the top layer first.
  std::vector<std::string> lower(layer_dirs.rbegin(), layer_dirs.rend());
  if (lower.empty()) lower.push_back(base + "/empty");
  if (idmap.has_value()) {
    absl::StatusOr<std::vector<std::string>> mapped = MapLayers(base, lower, *idmap);
    if (!mapped.ok()) return mapped.status();
    lower = *std::move(mapped);
  }
  const std::string options = absl::StrCat("lowerdir=", absl::StrJoin(lower, ":"), ",upperdir=", base,
                                           "/upper,workdir=", base, "/work");
  if (options.size() > kMaxMountData) {
    (void)UnmountLayers(base);
    return absl::FailedPreconditionError(absl::StrCat("image has too many layers for one overlay mount (",
                                                      layer_dirs.size(), " layers, ", options.size(),
                                                      " bytes of mount options)"));
  }
  if (mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0) {
    const absl::Status s = util::SystemCallError("mounting overlay rootfs at ", merged);
    (void)UnmountLayers(base);
    return s;
  }
  return merged;
}

absl::Status OverlayRootfs::Unmount(const std::string& container_id) {
  if (absl::Status s = util::DetachMounts(MountPoint(container_id)); !s.ok()) return s;
  return UnmountLayers(absl::StrCat(dir_, "/", container_id));
}

absl::Status OverlayRootfs::Remove(const std::string& container_id) {
  if (absl::Status s = Unmount(container_id); !s.ok()) return s;
  std::error_code ec;
  fs::remove_all(absl::StrCat(dir_, "/", container_id), ec);
  if (ec) return absl::InternalError(absl::StrCat("removing ", dir_, "/", container_id, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace cloison::storage
