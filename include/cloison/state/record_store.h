// Durable JSON records, one file per object: <dir>/<id>.json, each write atomic (temp file,
// fsync, rename, directory fsync), so a crash leaves every record either old or new. Used
// for pod sandbox and container records. Not synchronized: owners serialize per id.
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
  absl::Status Delete(const std::string& id);
  // Every readable record by id; unreadable ones are reported in `errors` (path: reason).
  std::map<std::string, nlohmann::json> LoadAll(std::map<std::string, std::string>* errors) const;

 private:
  std::string dir_;
};

}  // namespace cloison::state
