#include "cloison/oci/cdi_edits.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/errno_status.h"

namespace cloison::oci {
namespace {

using nlohmann::json;

// json[key], made an array when absent.
json& ArrayAt(json& parent, const char* key) {
  json& value = parent[key];
  if (!value.is_array()) value = json::array();
  return value;
}

void ApplyEnv(const std::vector<std::string>& env, json& spec) {
  json& current = ArrayAt(spec["process"], "env");
  for (const std::string& entry : env) {
    const std::string prefix = entry.substr(0, entry.find('=') + 1);
    auto same = std::find_if(current.begin(), current.end(), [&](const json& existing) {
      return existing.get<std::string>().compare(0, prefix.size(), prefix) == 0;
    });
    if (same != current.end()) {
      *same = entry;
    } else {
      current.push_back(entry);
    }
  }
}

// The type ("b", "c" or "p") and numbers of the host node at `path`.
absl::Status HostNode(const std::string& device, const std::string& path, std::string& type, int64_t& major_number,
                      int64_t& minor_number) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::StatusCode::kFailedPrecondition, error,
                                   absl::StrCat("CDI device ", device, ": host device node ", path));
  }
  if (S_ISBLK(st.st_mode)) {
    type = "b";
  } else if (S_ISCHR(st.st_mode)) {
    type = "c";
  } else if (S_ISFIFO(st.st_mode)) {
    type = "p";
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("CDI device ", device, ": host path ", path, " is not a device node"));
  }
  major_number = major(st.st_rdev);
  minor_number = minor(st.st_rdev);
  return absl::OkStatus();
}

absl::Status ApplyDeviceNode(CdiDeviceNode node, const std::string& device, json& spec) {
  if (node.host_path.empty()) node.host_path = node.path;
  if (node.type.empty() || (node.major == 0 && node.type != "p")) {
    std::string host_type;
    int64_t host_major = 0, host_minor = 0;
    if (absl::Status s = HostNode(device, node.host_path, host_type, host_major, host_minor); !s.ok()) return s;
    const std::string wanted = node.type == "u" ? "c" : node.type;  // "u" is an unbuffered char device
    if (!wanted.empty() && wanted != host_type) {
      return absl::FailedPreconditionError(absl::StrCat("CDI device ", device, ": ", node.path, " has type \"",
                                                        node.type, "\" but host node ", node.host_path,
                                                        " has type \"", host_type, "\""));
    }
    if (node.type.empty()) node.type = host_type;
    if (node.major == 0 && node.type != "p") {
      node.major = host_major;
      node.minor = host_minor;
    }
  }
  const json& user = spec["process"]["user"];
  json entry = {{"path", node.path}, {"type", node.type}, {"major", node.major}, {"minor", node.minor}};
  if (node.file_mode) entry["fileMode"] = *node.file_mode;
  const int64_t process_uid = user.value("uid", int64_t{0}), process_gid = user.value("gid", int64_t{0});
  if (node.uid) {
    entry["uid"] = *node.uid;
  } else if (process_uid > 0) {
    entry["uid"] = process_uid;
  }
  if (node.gid) {
    entry["gid"] = *node.gid;
  } else if (process_gid > 0) {
    entry["gid"] = process_gid;
  }
  json& devices = ArrayAt(spec["linux"], "devices");
  devices.erase(std::remove_if(devices.begin(), devices.end(),
                               [&](const json& existing) { return existing.value("path", "") == node.path; }),
                devices.end());
  devices.push_back(std::move(entry));

  if (node.type == "p" || node.permissions == "none") return absl::OkStatus();
  ArrayAt(spec["linux"]["resources"], "devices")
      .push_back({{"allow", true},
                  {"type", node.type == "b" ? "b" : "c"},
                  {"major", node.major},
                  {"minor", node.minor},
                  {"access", node.permissions.empty() ? "rwm" : node.permissions}});
  return absl::OkStatus();
}

size_t Depth(const std::string& destination) {
  std::string clean = std::filesystem::path(destination).lexically_normal().string();
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  return clean == "/" ? 0 : static_cast<size_t>(std::count(clean.begin(), clean.end(), '/'));
}

void ApplyMounts(const std::vector<CdiMount>& mounts, json& spec) {
  json& current = ArrayAt(spec, "mounts");
  for (const CdiMount& mount : mounts) {
    current.erase(std::remove_if(current.begin(), current.end(),
                                 [&](const json& existing) {
                                   return existing.value("destination", "") == mount.container_path;
                                 }),
                  current.end());
    json entry = {{"destination", mount.container_path}, {"source", mount.host_path}};
    if (!mount.type.empty()) entry["type"] = mount.type;
    if (!mount.options.empty()) entry["options"] = mount.options;
    current.push_back(std::move(entry));
  }
  std::vector<json> sorted(current.begin(), current.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) {
    return Depth(a.value("destination", "")) < Depth(b.value("destination", ""));
  });
  current = std::move(sorted);
}

void ApplyHooks(const std::vector<CdiHook>& hooks, json& spec) {
  for (const CdiHook& hook : hooks) {
    json entry = {{"path", hook.path}};
    if (!hook.args.empty()) entry["args"] = hook.args;
    if (!hook.env.empty()) entry["env"] = hook.env;
    if (hook.timeout) entry["timeout"] = *hook.timeout;
    ArrayAt(spec["hooks"], hook.hook_name.c_str()).push_back(std::move(entry));
  }
}

void ApplyGroups(const std::vector<uint32_t>& gids, json& spec) {
  json& groups = ArrayAt(spec["process"]["user"], "additionalGids");
  for (uint32_t gid : gids) {
    if (gid == 0) continue;
    if (std::none_of(groups.begin(), groups.end(), [&](const json& g) { return g.get<int64_t>() == gid; })) {
      groups.push_back(gid);
    }
  }
}

}  // namespace

absl::Status ApplyCdiEdits(const CdiContainerEdits& edits, const std::string& device, json& spec) {
  if (!edits.env.empty()) ApplyEnv(edits.env, spec);
  for (const CdiDeviceNode& node : edits.device_nodes) {
    if (absl::Status s = ApplyDeviceNode(node, device, spec); !s.ok()) return s;
  }
  if (!edits.mounts.empty()) ApplyMounts(edits.mounts, spec);
  if (!edits.hooks.empty()) ApplyHooks(edits.hooks, spec);
  if (!edits.additional_gids.empty()) ApplyGroups(edits.additional_gids, spec);
  if (edits.intel_rdt) spec["linux"]["intelRdt"] = *edits.intel_rdt;
  return absl::OkStatus();
}

}  // namespace cloison::oci
