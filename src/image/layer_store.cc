#include "cloison/image/layer_store.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloison/image/digest.h"
#include "cloison/image/layer_unpack.h"
#include "cloison/image/reference.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unix_socket.h"

namespace cloison::image {
namespace {

namespace fs = std::filesystem;
constexpr char kTempPrefix[] = ".tmp-";

}  // namespace

LayerStore::LayerStore(std::string dir) : dir_(std::move(dir)) {}

absl::Status LayerStore::Start() {
  if (absl::Status s = util::MakeDirs(dir_, 0700); !s.ok()) return s;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_);
  if (!entries.ok()) return entries.status();
  for (const util::DirectoryEntry& entry : *entries) {
    std::error_code ec;  // a leftover that cannot go is harmless: unpacks get fresh names
    if (absl::StartsWith(entry.name, kTempPrefix)) fs::remove_all(absl::StrCat(dir_, "/", entry.name), ec);
  }
  return absl::OkStatus();
}

std::string LayerStore::LayerDir(const std::string& digest) const {
  return absl::StrCat(dir_, "/", DigestHex(digest));
}

bool LayerStore::Has(const std::string& digest) const {
  return IsValidDigest(digest) && access(LayerDir(digest).c_str(), F_OK) == 0;
}

absl::Status LayerStore::Unpack(const std::string& digest, const std::string& blob_path) {
  if (!IsValidDigest(digest)) return absl::InvalidArgumentError(absl::StrCat("bad layer digest ", digest));
  if (Has(digest)) return absl::OkStatus();
  std::string temp = absl::StrCat(dir_, "/", kTempPrefix, DigestHex(digest), "-XXXXXX");
  if (mkdtemp(temp.data()) == nullptr) {
    return util::SystemCallError("mkdtemp ", temp);
  }
  std::error_code ec;
  absl::StatusOr<UnpackStats> stats = UnpackLayer(blob_path, temp);
  if (!stats.ok()) {
    fs::remove_all(temp, ec);
    return absl::Status(stats.status().code(),
                        absl::StrCat("unpacking layer ", digest, ": ", stats.status().message()));
  }
  // The layer directory is a lower layer for overlayfs: the root of it is a plain 0755 dir.
  if (rename(temp.c_str(), LayerDir(digest).c_str()) != 0) {
    const int error = errno;
    fs::remove_all(temp, ec);
    if (Has(digest)) return absl::OkStatus();  // unpacked meanwhile by someone else
    return util::SystemCallErrorOf(error, absl::StrCat("rename ", temp));
  }
  return util::SyncDirectory(dir_);
}

absl::Status LayerStore::Delete(const std::string& digest) {
  if (!IsValidDigest(digest)) return absl::InvalidArgumentError(absl::StrCat("bad layer digest ", digest));
  // Rename first so a crash mid-removal leaves a temporary leftover, not a half layer.
  const std::string layer = LayerDir(digest);
  const std::string doomed = absl::StrCat(dir_, "/", kTempPrefix, "rm-", DigestHex(digest));
  if (rename(layer.c_str(), doomed.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return util::SystemCallError("rename ", layer);
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);
  if (ec) return absl::InternalError(absl::StrCat("removing ", doomed, ": ", ec.message()));
  return absl::OkStatus();
}

std::vector<std::string> LayerStore::List() const {
  std::vector<std::string> digests;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_);
  if (!entries.ok()) return digests;
  for (const util::DirectoryEntry& entry : *entries) {
    std::string digest = absl::StrCat("sha256:", entry.name);
    if (IsValidDigest(digest)) digests.push_back(std::move(digest));
  }
  return digests;
}

}  // namespace cloison::image
