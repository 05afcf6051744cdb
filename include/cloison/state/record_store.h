// Durable JSON records, one file per object: <dir>/<id>.json, each write atomic (temp file,
// fsync, rename, directory fsync), so a crash leaves every record either old or new. Used
// for pod sandbox and container records. Not synchronized: owners serialize per id.
// SaveMarker writes the record of a call in progress (the "creating" marker that lets
// recovery undo an interrupted create) atomically but without the fsyncs: a daemon crash
// keeps it (page cache); a machine crash takes what it guards (mounts, cgroups, namespaces,
// monitors) anyway, and the call's next Save makes it durable with everything before it.
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cloison::state {

class RecordStore {
 public:
  explicit RecordStore(std::string dir);

  absl::Status Start();  // creates the directory, drops temporary leftovers
  absl::Status Save(const std::string& id, const nlohmann::json& record);
  absl::Status SaveMarker(const std::string& id, const nlohmann::json& record);
  absl::Status Delete(const std::string& id);
  // Every readable record by id; unreadable ones are reported in `errors`: path -> a message
  // naming the path and the reason (cannot be read, or not a JSON object).
  std::map<std::string, nlohmann::json> LoadAll(std::map<std::string, std::string>* errors) const;

 private:
  std::string dir_;
};

}  // namespace cloison::state
