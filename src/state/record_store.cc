#include "cloison/state/record_store.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_file.h"
#include "cloison/util/unix_socket.h"

namespace cloison::state {

namespace {

// The record's text. Strings that are not UTF-8 (a runtime's message quoting a path, ...) are
// written with U+FFFD, where a plain dump() would throw.
std::string RecordText(const nlohmann::json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

RecordStore::RecordStore(std::string dir) : dir_(std::move(dir)) {}

absl::Status RecordStore::Start() {
  if (absl::Status s = util::MakeDirs(dir_, 0700); !s.ok()) return s;
  std::error_code ec;
  // increment(ec), not ++, which throws when reading the directory fails.
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code remove_error;  // a leftover that cannot go is harmless: it is not a record
    if (!absl::EndsWith(it->path().filename().string(), ".json")) std::filesystem::remove(it->path(), remove_error);
  }
  return absl::OkStatus();
}

absl::Status RecordStore::Save(const std::string& id, const nlohmann::json& record) {
  return util::WriteFileAtomically(absl::StrCat(dir_, "/", id, ".json"), RecordText(record));
}

absl::Status RecordStore::SaveMarker(const std::string& id, const nlohmann::json& record) {
  return util::ReplaceFile(absl::StrCat(dir_, "/", id, ".json"), RecordText(record));
}

absl::Status RecordStore::Delete(const std::string& id) {
  const std::string path = absl::StrCat(dir_, "/", id, ".json");
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return util::SystemCallError("removing ", path);
  }
  return util::SyncDirectory(dir_);
}

std::map<std::string, nlohmann::json> RecordStore::LoadAll(std::map<std::string, std::string>* errors) const {
  std::map<std::string, nlohmann::json> records;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::directory_entry& entry = *it;
    const std::string file = entry.path().filename().string();
    if (!absl::EndsWith(file, ".json")) continue;
    const std::string name = file.substr(0, file.size() - 5);
    absl::StatusOr<nlohmann::json> record = util::ReadJsonObjectFile(entry.path().string());
    if (!record.ok()) {
      if (errors) (*errors)[entry.path().string()] = std::string(record.status().message());
      continue;
    }
    records[name] = *std::move(record);
  }
  return records;
}

}  // namespace cloison::state
