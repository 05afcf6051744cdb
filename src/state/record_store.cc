#include "cloison/state/record_store.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/directory_entries.h"
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
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_);
  if (!entries.ok()) return entries.status();
  for (const util::DirectoryEntry& entry : *entries) {
    std::error_code remove_error;  // a leftover that cannot go is harmless: it is not a record
    if (!absl::EndsWith(entry.name, ".json")) std::filesystem::remove(absl::StrCat(dir_, "/", entry.name), remove_error);
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
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_);
  if (!entries.ok()) {
    if (errors) (*errors)[dir_] = std::string(entries.status().message());
    return records;
  }
  for (const util::DirectoryEntry& entry : *entries) {
    const std::string& file = entry.name;
    if (!absl::EndsWith(file, ".json")) continue;
    const std::string name = file.substr(0, file.size() - 5);
    const std::string path = absl::StrCat(dir_, "/", file);
    absl::StatusOr<nlohmann::json> record = util::ReadJsonObjectFile(path);
    if (!record.ok()) {
      if (errors) (*errors)[path] = std::string(record.status().message());
      continue;
    }
    records[name] = *std::move(record);
  }
  return records;
}

}  // namespace cloison::state
