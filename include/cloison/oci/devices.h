// Device nodes for a container: the CRI-requested devices (config.devices) and, for privileged
// containers, every host device under /dev (as containerd and CRI-O do). Each becomes a
// linux.devices entry (created by the runtime inside the container) plus an allow rule for the
// device cgroup, whose base rule denies everything (runc adds its standard allow list).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::oci {

struct DeviceRules {
  nlohmann::json devices = nlohmann::json::array();  // linux.devices
  nlohmann::json cgroup = nlohmann::json::array();   // linux.resources.devices
};

// The char and block devices under `dir` (recursively, not following symlinks; pts, shm, fd
// and mqueue skipped), each at its own path, with an "rwm" allow rule for all devices.
absl::StatusOr<DeviceRules> HostDevices(const std::string& dir);

// config.devices: host_path (symlinks followed) is a device node, or a directory whose device
// nodes are added under container_path. Permissions are a subset of "rwm" ("" = "rwm").
// Errors name config.devices[i]: NOT_FOUND for a missing host_path, INVALID_ARGUMENT otherwise.
absl::StatusOr<DeviceRules> CriDevices(
    const google::protobuf::RepeatedPtrField<::runtime::v1::Device>& devices);

}  // namespace cloison::oci
