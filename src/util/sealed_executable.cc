#include "cloison/util/sealed_executable.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cloison/util/errno_status.h"

namespace cloison::util {
namespace {

constexpr int kExecutableSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
// MFD_EXEC (Linux 6.3): says the memfd is meant to be executed, so that kernels which would
// otherwise default memfds to non-executable (vm.memfd_noexec = 1) do not; older kernels
// refuse the unknown flag with EINVAL and make executable memfds anyway.
constexpr unsigned kMfdExec = 0x0010U;
constexpr int kLowestCopyFd = 10;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return SystemCallError(what, " (sealed copy of ", path, ")");
}

FileIdentity IdentityOf(const struct stat& st) {
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
}

absl::StatusOr<UniqueFd> CreateMemfd(const std::string& path) {
  const std::string name = absl::StrCat("cloison:", std::filesystem::path(path).filename().string());
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (fd < 0 && errno == EINVAL) fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Errno("memfd_create", path);
  return UniqueFd(fd);
}

absl::StatusOr<std::shared_ptr<const SealedCopy>> MakeCopyOnce(const std::string& path) {
  UniqueFd source(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source.valid()) {
    const int error = errno;
    if (error == ENOENT) return SystemCallErrorOf(absl::StatusCode::kNotFound, error, path);
    return Errno("open", path);
  }
  struct stat st {};
  if (fstat(source.get(), &st) != 0) return Errno("fstat", path);
  if (!S_ISREG(st.st_mode)) return absl::InternalError(absl::StrCat(path, " is not a regular file"));
  absl::StatusOr<UniqueFd> memfd = CreateMemfd(path);
  if (!memfd.ok()) return memfd.status();
  off_t copied = 0;
  while (copied < st.st_size) {
    const ssize_t n = sendfile(memfd->get(), source.get(), nullptr, static_cast<size_t>(st.st_size - copied));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("sendfile", path);
    if (n == 0) return absl::InternalError(absl::StrCat(path, " shrank while it was copied"));
    copied += n;
  }
  if (fcntl(memfd->get(), F_ADD_SEALS, kExecutableSeals) != 0) {
    if (const int error = errno; error == EBUSY) {
      return SystemCallErrorOf(absl::StatusCode::kUnavailable, error, absl::StrCat("F_ADD_SEALS (sealed copy of ", path, ")"));
    }
    return Errno("F_ADD_SEALS", path);
  }
  const int high = fcntl(memfd->get(), F_DUPFD_CLOEXEC, kLowestCopyFd);
  if (high < 0) return Errno("F_DUPFD_CLOEXEC", path);
  return std::make_shared<const SealedCopy>(UniqueFd(high), IdentityOf(st));
}

// F_SEAL_WRITE fails with EBUSY while anything holds an extra reference on one of the memfd's
// pages (the kernel waits ~150 ms for them to go): seen once under load. A fresh copy lands on
// other pages, so the copy is made again a few times, with a pause, before giving up.
absl::StatusOr<std::shared_ptr<const SealedCopy>> MakeCopy(const std::string& path) {
  constexpr int kAttempts = 4;
  absl::StatusOr<std::shared_ptr<const SealedCopy>> copy = MakeCopyOnce(path);
  for (int attempt = 1; attempt < kAttempts && absl::IsUnavailable(copy.status()); ++attempt) {
    absl::SleepFor(absl::Milliseconds(20 * attempt));
    copy = MakeCopyOnce(path);
  }
  if (absl::IsUnavailable(copy.status())) return absl::InternalError(copy.status().message());
  return copy;
}

}  // namespace

bool FileIdentity::operator==(const FileIdentity& other) const {
  return device == other.device && inode == other.inode && size == other.size &&
         modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec;
}

SealedCopy::SealedCopy(UniqueFd fd, FileIdentity source) : fd_(std::move(fd)), source_(source) {}

std::string SealedCopy::ExecPath() const { return absl::StrCat("/proc/self/fd/", fd_.get()); }

SealedExecutable::SealedExecutable(std::string path) : path_(std::move(path)) {}

absl::StatusOr<std::shared_ptr<const SealedCopy>> SealedExecutable::Current() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ENOENT) return SystemCallErrorOf(absl::StatusCode::kNotFound, error, path_);
    return Errno("stat", path_);
  }
  absl::MutexLock lock(&mu_);
  if (copy_ != nullptr && copy_->source() == IdentityOf(st)) return copy_;
  absl::StatusOr<std::shared_ptr<const SealedCopy>> copy = MakeCopy(path_);
  if (!copy.ok()) return copy.status();
  copy_ = *copy;
  return copy_;
}

std::shared_ptr<SealedExecutable> SharedSealedExecutable(const std::string& path) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* executables = new std::map<std::string, std::shared_ptr<SealedExecutable>>();
  absl::MutexLock lock(&mu);
  std::shared_ptr<SealedExecutable>& executable = (*executables)[path];
  if (executable == nullptr) executable = std::make_shared<SealedExecutable>(path);
  return executable;
}

bool HasExecutableSeals(int fd) { return fcntl(fd, F_GET_SEALS) == kExecutableSeals; }

}  // namespace cloison::util
