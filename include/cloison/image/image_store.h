// Image records, persisted one JSON file per image under <dir>/<id hex>.json (written
// atomically, so a crash never leaves a torn record) and held in memory for lookups.
// Not thread-safe on its own: the image manager serializes access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::image {

struct LayerRecord {
  std::string digest;
  std::string media_type;
  int64_t size = 0;

  bool operator==(const LayerRecord&) const = default;
};

struct ImageRecord {
  std::string id;  // the config blob's digest
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:..."
  std::string manifest_digest;            // the platform's image manifest
  std::vector<LayerRecord> layers;        // base layer first
  int64_t size = 0;                       // config plus compressed layers, in bytes
  std::optional<int64_t> uid;             // from the config's User, when numeric
  std::string username;                   // from the config's User, when a name

  bool operator==(const ImageRecord&) const = default;
};

class ImageStore {
 public:
  explicit ImageStore(std::string dir);

  // Reads every record; unreadable ones are logged and skipped.
  absl::Status Load();
  absl::Status Save(const ImageRecord& record);
  absl::Status Delete(const std::string& id);

  const ImageRecord* FindById(const std::string& id) const;
  // The image carrying `name` ("registry/repo:tag" or "registry/repo@digest") as a repo tag or digest.
  const ImageRecord* FindByName(const std::string& name) const;
  std::vector<ImageRecord> List() const;

 private:
  std::string PathFor(const std::string& id) const;

  std::string dir_;
  std::map<std::string, ImageRecord> records_;  // by id
};

}  // namespace cloison::image
