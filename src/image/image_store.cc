#include "cloison/image/image_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/image/digest.h"
#include "cloison/image/reference.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/json_fields.h"
#include "cloison/util/json_file.h"
#include "cloison/util/logging.h"
#include "cloison/util/unix_socket.h"
#include "nlohmann/json.hpp"

namespace cloison::image {
namespace {

using nlohmann::json;

json ToJson(const ImageRecord& record) {
  json layers = json::array();
  for (const LayerRecord& layer : record.layers) {
    layers.push_back({{"digest", layer.digest}, {"mediaType", layer.media_type}, {"size", layer.size}});
  }
  json out = {{"id", record.id},
              {"repoTags", record.repo_tags},
              {"repoDigests", record.repo_digests},
              {"manifestDigest", record.manifest_digest},
              {"layers", layers},
              {"size", record.size},
              {"username", record.username}};
  if (record.uid) out["uid"] = *record.uid;
  return out;
}

constexpr absl::string_view kRecord = "image record";

// DATA_LOSS naming the field unless `object` has `key` with a non-null value.
absl::Status CheckPresent(const json& object, absl::string_view key, absl::string_view where) {
  const auto it = object.is_object() ? object.find(std::string(key)) : object.end();
  if (it == object.end() || it->is_null()) {
    return absl::DataLossError(absl::StrCat(where, ": \"", key, "\" is missing"));
  }
  return absl::OkStatus();
}

// Reads a field every record has into `out`: a string or an integer; DATA_LOSS otherwise.
template <typename T>
absl::Status ReadRequired(const json& object, absl::string_view key, absl::string_view where, T& out) {
  absl::StatusOr<T> value = util::RequiredField<T>(object, key, where);
  if (!value.ok()) return absl::DataLossError(value.status().message());
  out = *std::move(value);
  return absl::OkStatus();
}

absl::Status ReadStringList(const json& object, absl::string_view key, std::vector<std::string>& out) {
  if (absl::Status present = CheckPresent(object, key, kRecord); !present.ok()) return present;
  const json& list = *object.find(std::string(key));
  if (!list.is_array()) return absl::DataLossError(absl::StrCat(kRecord, ": \"", key, "\" is not an array"));
  for (const json& item : list) {
    if (!item.is_string()) {
      return absl::DataLossError(absl::StrCat(kRecord, ": \"", key, "\" has a ", item.type_name(), ", not a string"));
    }
    out.push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<LayerRecord> LayerFromJson(const json& in) {
  constexpr absl::string_view kWhere = "image record layer";
  LayerRecord layer;
  for (const absl::Status& s : {ReadRequired(in, "digest", kWhere, layer.digest),
                                ReadRequired(in, "mediaType", kWhere, layer.media_type),
                                ReadRequired(in, "size", kWhere, layer.size)}) {
    if (!s.ok()) return s;
  }
  return layer;
}

absl::StatusOr<ImageRecord> FromJson(const json& in) {
  ImageRecord record;
  for (const absl::Status& s : {ReadRequired(in, "id", kRecord, record.id),
                                ReadStringList(in, "repoTags", record.repo_tags),
                                ReadStringList(in, "repoDigests", record.repo_digests),
                                ReadRequired(in, "manifestDigest", kRecord, record.manifest_digest),
                                ReadRequired(in, "size", kRecord, record.size)}) {
    if (!s.ok()) return s;
  }
  if (absl::Status present = CheckPresent(in, "layers", kRecord); !present.ok()) return present;
  const json& layers = *in.find("layers");
  if (!layers.is_array()) return absl::DataLossError("image record: \"layers\" is not an array");
  for (const json& layer : layers) {
    absl::StatusOr<LayerRecord> read = LayerFromJson(layer);
    if (!read.ok()) return read.status();
    record.layers.push_back(*std::move(read));
  }
  absl::StatusOr<std::string> username = util::StringField(in, "username", kRecord);
  if (!username.ok()) return absl::DataLossError(username.status().message());
  record.username = *std::move(username);
  if (in.contains("uid")) {
    int64_t uid = 0;
    if (absl::Status s = ReadRequired(in, "uid", kRecord, uid); !s.ok()) return s;
    record.uid = uid;
  }
  if (!IsValidDigest(record.id)) return absl::DataLossError("record id is not a digest");
  return record;
}

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

ImageStore::ImageStore(std::string dir) : dir_(std::move(dir)) {}

std::string ImageStore::PathFor(const std::string& id) const {
  return absl::StrCat(dir_, "/", DigestHex(id), ".json");
}

absl::Status ImageStore::Load() {
  if (absl::Status s = util::MakeDirs(dir_, 0700); !s.ok()) return s;
  records_.clear();
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_);
  if (!entries.ok()) return entries.status();
  for (const util::DirectoryEntry& entry : *entries) {
    const std::string path = absl::StrCat(dir_, "/", entry.name);
    if (!absl::EndsWith(path, ".json")) {
      std::error_code ec;  // a leftover that cannot go is harmless: it is not a record
      std::filesystem::remove(path, ec);  // a temporary file of an interrupted write
      continue;
    }
    absl::StatusOr<json> doc = util::ReadJsonObjectFile(path);
    if (!doc.ok()) {
      spdlog::error("skipping unreadable image record: {}", doc.status().message());  // names the path
      continue;
    }
    absl::StatusOr<ImageRecord> record = FromJson(*doc);
    if (!record.ok()) {
      spdlog::error("skipping unreadable image record {}: {}", path, record.status().message());
      continue;
    }
    records_[record->id] = *record;
  }
  return absl::OkStatus();
}

absl::Status ImageStore::Save(const ImageRecord& record) {
  if (absl::Status s = util::WriteFileAtomically(PathFor(record.id), ToJson(record).dump(2)); !s.ok()) return s;
  records_[record.id] = record;
  return absl::OkStatus();
}

absl::Status ImageStore::Delete(const std::string& id) {
  const std::string path = PathFor(id);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return util::SystemCallError("removing ", path);
  records_.erase(id);
  return util::SyncDirectory(dir_);
}

const ImageRecord* ImageStore::FindById(const std::string& id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

const ImageRecord* ImageStore::FindByName(const std::string& name) const {
  for (const auto& [id, record] : records_) {
    if (Contains(record.repo_tags, name) || Contains(record.repo_digests, name)) return &record;
  }
  return nullptr;
}

std::vector<ImageRecord> ImageStore::List() const {
  std::vector<ImageRecord> out;
  for (const auto& [id, record] : records_) out.push_back(record);
  return out;
}

}  // namespace cloison::image
