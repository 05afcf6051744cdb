#include "cloison/oci/cdi_registry.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/logging.h"

namespace cloison::oci {
namespace {

namespace fs = std::filesystem;

// The spec files of `dir`, sorted; a missing directory has none.
std::vector<std::string> SpecFiles(const std::string& dir) {
  std::vector<std::string> files;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir);
  if (!entries.ok()) return files;
  for (const util::DirectoryEntry& entry : *entries) {
    const fs::path file = fs::path(dir) / entry.name;
    const std::string extension = file.extension().string();
    std::error_code type_error;  // is_regular_file(ec) follows a symlink without throwing
    if ((extension == ".json" || extension == ".yaml") && fs::is_regular_file(file, type_error)) {
      files.push_back(file.string());
    }
  }
  return files;
}

}  // namespace

CdiRegistry CdiRegistry::Load(const std::vector<std::string>& spec_dirs) {
  CdiRegistry registry;
  for (const std::string& dir : spec_dirs) {
    std::map<std::string, CdiDevice> found;  // this directory's devices
    std::set<std::string> conflicts;
    for (const std::string& file : SpecFiles(dir)) {
      absl::StatusOr<CdiSpec> parsed = ReadCdiSpec(file);
      if (!parsed.ok()) {
        registry.errors_.push_back(std::string(parsed.status().message()));
        spdlog::error("CDI spec skipped: {}", parsed.status().message());
        continue;
      }
      auto spec = std::make_shared<const CdiSpec>(*std::move(parsed));
      for (const auto& [name, edits] : spec->devices) {
        const std::string qualified = absl::StrCat(spec->vendor, "/", spec->device_class, "=", name);
        auto [it, inserted] = found.try_emplace(qualified, CdiDevice{spec, &edits});
        if (!inserted) {
          conflicts.insert(qualified);
          const std::string message =
              absl::StrCat("CDI device ", qualified, " is defined by both ", it->second.spec->path, " and ", file);
          registry.errors_.push_back(message);
          spdlog::error("{}: neither is used", message);
        }
      }
    }
    for (const std::string& name : conflicts) found.erase(name);
    for (auto& [name, device] : found) registry.devices_[name] = std::move(device);
  }
  return registry;
}

const CdiDevice* CdiRegistry::Find(const std::string& qualified_name) const {
  auto it = devices_.find(qualified_name);
  return it == devices_.end() ? nullptr : &it->second;
}

}  // namespace cloison::oci
