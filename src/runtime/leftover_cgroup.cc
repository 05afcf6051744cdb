#include "cloison/runtime/leftover_cgroup.h"

#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/cgroup_hierarchies.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"

namespace cloison::runtime {

void RemoveLeftoverCgroup(const std::string& bundle_dir, const std::string& id) {
  const std::string spec_path = bundle_dir + "/config.json";
  absl::StatusOr<nlohmann::json> spec = util::ReadJsonObjectFile(spec_path);
  if (!spec.ok()) return;
  const auto linux_section = spec->find("linux");
  if (linux_section == spec->end() || !linux_section->is_object()) return;
  const std::string cgroups_path =
      util::StringField(*linux_section, "cgroupsPath", spec_path).value_or("");
  // Empty: the runtime chose; "<slice>:<prefix>:<name>": a systemd scope, systemd's to remove.
  if (cgroups_path.empty() || cgroups_path.find(':') != std::string::npos) return;
  if (!absl::EndsWith(cgroups_path, absl::StrCat("/cloison-", id))) return;
  absl::StatusOr<std::vector<util::CgroupHierarchy>> hierarchies = util::MountedCgroupHierarchies();
  if (!hierarchies.ok()) return;
  const std::string relative = util::CgroupRelativePath(cgroups_path);
  for (const util::CgroupHierarchy& hierarchy : *hierarchies) {
    const std::string dir = hierarchy.mount_point + relative;
    if (rmdir(dir.c_str()) == 0) {
      spdlog::info("removed cgroup {} that the runtime left", dir);
    } else if (errno != ENOENT) {
      spdlog::warn("{}", util::SystemCallError("removing the container's cgroup ", dir).message());
    }
  }
}

}  // namespace cloison::runtime
