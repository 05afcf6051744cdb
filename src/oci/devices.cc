#include "cloison/oci/devices.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A linux.devices entry and its cgroup rule for the device node `st` at `container_path`.
void AddNode(const struct stat& st, const std::string& container_path, const std::string& access,
             DeviceRules& rules, bool with_rule) {
  const char* type = S_ISCHR(st.st_mode) ? "c" : "b";
  rules.devices.push_back({{"path", container_path},
                           {"type", type},
                           {"major", major(st.st_rdev)},
                           {"minor", minor(st.st_rdev)},
                           {"fileMode", st.st_mode & 07777},
                           {"uid", st.st_uid},
                           {"gid", st.st_gid}});
  if (with_rule) {
    rules.cgroup.push_back({{"allow", true},
                            {"type", type},
                            {"major", major(st.st_rdev)},
                            {"minor", minor(st.st_rdev)},
                            {"access", access}});
  }
}

bool IsDeviceNode(const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode); }

// Adds the device nodes under `dir`, each at `prefix` + its path below `dir`.
absl::Status WalkDevices(const std::string& dir, const std::string& prefix,
                         const std::string& access, DeviceRules& rules, bool with_rules) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return absl::InternalError(absl::StrCat("listing ", dir, ": ", ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return absl::InternalError(absl::StrCat("listing ", dir, ": ", ec.message()));
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
    if (S_ISDIR(st.st_mode)) {
      if (it.depth() == 0 && (name == "pts" || name == "shm" || name == "fd" || name == "mqueue")) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!IsDeviceNode(st) || (major(st.st_rdev) == 0 && minor(st.st_rdev) == 0)) continue;
    if (it.depth() == 0 && name == "console") continue;  // the runtime sets up /dev/console
    const std::string relative = path.lexically_relative(dir).string();
    AddNode(st, absl::StrCat(prefix, "/", relative), access, rules, with_rules);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DeviceRules> HostDevices(const std::string& dir) {
  DeviceRules rules;
  if (absl::Status s = WalkDevices(dir, dir, "rwm", rules, /*with_rules=*/false); !s.ok()) return s;
  rules.cgroup.push_back({{"allow", true}, {"access", "rwm"}});
  return rules;
}

absl::StatusOr<DeviceRules> CriDevices(
    const google::protobuf::RepeatedPtrField<::runtime::v1::Device>& devices) {
  DeviceRules rules;
  for (int i = 0; i < devices.size(); ++i) {
    const ::runtime::v1::Device& device = devices[i];
    const std::string field = absl::StrCat("config.devices[", i, "]");
    if (!absl::StartsWith(device.container_path(), "/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".container_path: \"", device.container_path(), "\" is not an absolute path"));
    }
    std::string access = device.permissions().empty() ? "rwm" : device.permissions();
    if (access.find_first_not_of("rwm") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".permissions: \"", device.permissions(), "\" is not a subset of \"rwm\""));
    }
    std::unique_ptr<char, decltype(&free)> real(realpath(device.host_path().c_str(), nullptr),
                                                &free);
    struct stat st {};
    if (real == nullptr || stat(real.get(), &st) != 0) {
      const int error = errno;
      const std::string message = absl::StrCat(field, ".host_path: \"", device.host_path(), "\"");
      if (error == ENOENT || error == ENOTDIR) {
        return absl::NotFoundError(absl::StrCat(message, " does not exist"));
      }
      return util::SystemCallErrorOf(absl::ErrnoToStatusCode(error), error,
                                     absl::StrCat(message, " cannot be resolved"));
    }
    if (IsDeviceNode(st)) {
      AddNode(st, device.container_path(), access, rules, /*with_rule=*/true);
    } else if (S_ISDIR(st.st_mode)) {
      absl::Status s = WalkDevices(real.get(), device.container_path(), access, rules, true);
      if (!s.ok()) return s;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(field, ".host_path: \"", device.host_path(),
                                                     "\" is neither a device nor a directory"));
    }
  }
  return rules;
}

}  // namespace cloison::oci
