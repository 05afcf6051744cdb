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
#include "cloison/util/errno_status.h"
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

absl::StatusOr<ImageRecord> FromJson(const json& in) {
  try {
    ImageRecord record;
    record.id = in.at("id").get<std::string>();
    record.repo_tags = in.at("repoTags").get<std::vector<std::string>>();
    record.repo_digests = in.at("repoDigests").get<std::vector<std::string>>();
    record.manifest_digest = in.at("manifestDigest").get<std::string>();
    for (const json& layer : in.at("layers")) {
      record.layers.push_back({layer.at("digest").get<std::string>(), layer.at("mediaType").get<std::string>(),
                               layer.at("size").get<int64_t>()});
    }
    record.size = in.at("size").get<int64_t>();
    record.username = in.value("username", "");
    if (in.contains("uid")) record.uid = in.at("uid").get<int64_t>();
    if (!IsValidDigest(record.id)) return absl::DataLossError("record id is not a digest");
    return record;
  } catch (const json::exception& e) {
    return absl::DataLossError(e.what());
  }
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
  std::error_code ec;
  for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string path = entry.path().string();
    if (!absl::EndsWith(path, ".json")) {
      std::filesystem::remove(entry.path(), ec);  // a temporary file of an interrupted write
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
  if (ec) return absl::InternalError(absl::StrCat("listing ", dir_, ": ", ec.message()));
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
