#include "cloison/image/content_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloison/image/reference.h"
#include "cloison/util/atomic_file.h"
#include "cloison/util/directory_entries.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unix_socket.h"

namespace cloison::image {
namespace {

namespace fs = std::filesystem;

}  // namespace

ContentStore::ContentStore(std::string dir) : dir_(std::move(dir)) {}

absl::Status ContentStore::Start() {
  for (const std::string& sub : {dir_ + "/blobs/sha256", dir_ + "/ingest"}) {
    if (absl::Status s = util::MakeDirs(sub, 0700); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<util::DirectoryEntry>> leftovers = util::ListDirectory(dir_ + "/ingest");
  if (!leftovers.ok()) return leftovers.status();
  for (const util::DirectoryEntry& leftover : *leftovers) {
    std::error_code ec;  // a leftover that cannot go is harmless: ingests get fresh names
    fs::remove_all(absl::StrCat(dir_, "/ingest/", leftover.name), ec);
  }
  return absl::OkStatus();
}

std::string ContentStore::BlobPath(const std::string& digest) const {
  return absl::StrCat(dir_, "/blobs/sha256/", DigestHex(digest));
}

bool ContentStore::Has(const std::string& digest) const {
  return IsValidDigest(digest) && access(BlobPath(digest).c_str(), F_OK) == 0;
}

absl::StatusOr<std::unique_ptr<ContentStore::Writer>> ContentStore::NewWriter(const std::string& digest,
                                                                               int64_t expected_size) {
  if (!IsValidDigest(digest)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", digest, "\" is not a sha256 digest"));
  }
  if (expected_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("blob ", digest, ": size ", expected_size, " is negative"));
  }
  std::string temp = absl::StrCat(dir_, "/ingest/", DigestHex(digest), "-XXXXXX");
  util::UniqueFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return util::SystemCallError("create ", temp);
  return std::unique_ptr<Writer>(
      new Writer(*this, digest, static_cast<uint64_t>(expected_size), temp, std::move(fd)));
}

absl::Status ContentStore::Put(const std::string& digest, absl::string_view content) {
  absl::StatusOr<std::unique_ptr<Writer>> writer = NewWriter(digest, static_cast<int64_t>(content.size()));
  if (!writer.ok()) return writer.status();
  if (absl::Status s = (*writer)->Append(content.data(), content.size()); !s.ok()) return s;
  return (*writer)->Commit();
}

absl::StatusOr<std::string> ContentStore::Read(const std::string& digest, int64_t max_bytes) const {
  if (!IsValidDigest(digest)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", digest, "\" is not a sha256 digest"));
  }
  // A stored blob never changes (only a verified blob of the same digest is renamed over it),
  // so its size checked here is the size read below.
  const std::string path = BlobPath(digest);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    const int error = errno;
    return util::SystemCallErrorOf(error == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kInternal,
                                   error, absl::StrCat("stat ", path));
  }
  if (st.st_size > max_bytes) {
    return absl::FailedPreconditionError(absl::StrCat("blob ", digest, " is ", st.st_size,
                                                      " bytes, over the ", max_bytes, " bytes read into memory"));
  }
  return util::ReadFile(path);
}

absl::Status ContentStore::Delete(const std::string& digest) {
  if (!IsValidDigest(digest)) return absl::InvalidArgumentError("not a sha256 digest");
  const std::string path = BlobPath(digest);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return util::SystemCallError("unlink ", path);
  return absl::OkStatus();
}

std::vector<std::string> ContentStore::List() const {
  std::vector<std::string> digests;
  absl::StatusOr<std::vector<util::DirectoryEntry>> entries = util::ListDirectory(dir_ + "/blobs/sha256");
  if (!entries.ok()) return digests;
  for (const util::DirectoryEntry& entry : *entries) {
    std::string digest = absl::StrCat("sha256:", entry.name);
    if (IsValidDigest(digest)) digests.push_back(std::move(digest));
  }
  return digests;
}

ContentStore::Writer::Writer(const ContentStore& store, std::string digest, uint64_t expected_size,
                             std::string temp_path, util::UniqueFd fd)
    : store_(store),
      digest_(std::move(digest)),
      expected_size_(expected_size),
      temp_path_(std::move(temp_path)),
      fd_(std::move(fd)) {}

ContentStore::Writer::~Writer() {
  if (!committed_) unlink(temp_path_.c_str());
}

absl::Status ContentStore::Writer::Append(const char* data, size_t size) {
  if (size > expected_size_ - written_) {
    return absl::DataLossError(absl::StrCat("blob ", digest_, " is larger than its declared ",
                                            expected_size_, " bytes"));
  }
  hasher_.Update(data, size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd_.get(), data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::SystemCallError("write ", temp_path_);
    done += static_cast<size_t>(n);
  }
  written_ += size;
  return absl::OkStatus();
}

absl::Status ContentStore::Writer::Restart() {
  if (ftruncate(fd_.get(), 0) != 0 || lseek(fd_.get(), 0, SEEK_SET) != 0) {
    return util::SystemCallError("truncate ", temp_path_);
  }
  hasher_ = Sha256();
  written_ = 0;
  return absl::OkStatus();
}

absl::Status ContentStore::Writer::Commit() {
  if (written_ != expected_size_) {
    return absl::DataLossError(absl::StrCat("blob ", digest_, ": received ", written_,
                                            " bytes, expected ", expected_size_));
  }
  const std::string actual = hasher_.Finish();
  if (actual != digest_) {
    return absl::DataLossError(
        absl::StrCat("blob content does not match its digest: expected ", digest_, ", got ", actual));
  }
  if (fchmod(fd_.get(), 0644) != 0) return util::SystemCallError("chmod ", temp_path_);
  if (fsync(fd_.get()) != 0) return util::SystemCallError("fsync ", temp_path_);
  fd_.reset();
  const std::string target = store_.BlobPath(digest_);
  if (rename(temp_path_.c_str(), target.c_str()) != 0) return util::SystemCallError("rename ", target);
  committed_ = true;
  return util::SyncDirectory(store_.dir() + "/blobs/sha256");
}

}  // namespace cloison::image
