#include "cloison/oci/user_lookup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloison/util/errno_status.h"
#include "cloison/util/unique_fd.h"

namespace cloison::oci {
namespace {

using util::UniqueFd;

// Larger account files are not plausible and would only cost memory.
constexpr off_t kMaxFileSize = 8 << 20;
// RESOLVE_IN_ROOT lookups fail with EAGAIN when a rename races with them.
constexpr int kResolveRetries = 16;

// Opens `path` (relative) with the rootfs as "/" for every step of the lookup.
int OpenInRoot(int root_fd, const char* path) {
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    const long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || (errno == EAGAIN && attempt < kResolveRetries)) continue;
    return -1;
  }
}

// The file's content, or nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> ReadInRoot(int root_fd, const char* path) {
  UniqueFd fd(OpenInRoot(root_fd, path));
  if (!fd.valid()) {
    const int error = errno;
    if (error == ENOENT) return std::nullopt;
    return util::SystemCallErrorOf(absl::ErrnoToStatusCode(error), error,
                                   absl::StrCat("opening /", path, " in the container rootfs"));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::ErrnoToStatusCode(error), error,
                                   absl::StrCat("stat /", path, " in the container rootfs"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("/", path, " in the container rootfs is not a regular file"));
  }
  if (st.st_size > kMaxFileSize) {
    return absl::FailedPreconditionError(absl::StrCat(
        "/", path, " in the container rootfs is larger than ", kMaxFileSize, " bytes"));
  }
  std::string content;
  char buffer[16384];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      return util::SystemCallErrorOf(absl::ErrnoToStatusCode(error), error,
                                     absl::StrCat("reading /", path, " in the container rootfs"));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > static_cast<size_t>(kMaxFileSize)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "/", path, " in the container rootfs is larger than ", kMaxFileSize, " bytes"));
    }
  }
  return content;
}

// A decimal id that fits uid_t/gid_t, excluding (uid_t)-1 which means "no change".
std::optional<uint32_t> ParseId(absl::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value >= UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

// Calls `each` with the fields of every line of an account file, split on ':' into at most
// `fields` + 1 parts (the last holding whatever follows), so that neither a file of millions of
// lines nor a line of millions of ':' is held split in memory at once. Comments, blank lines
// and NIS "+"/"-" entries are skipped.
template <typename Each>
void ForEachRecord(absl::string_view content, int fields, Each each) {
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    each(std::vector<absl::string_view>(absl::StrSplit(line, absl::MaxSplits(':', fields))));
  }
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(absl::string_view content) {
  std::vector<PasswdEntry> users;
  // name:password:uid:gid:gecos:home:shell
  ForEachRecord(content, 6, [&users](const std::vector<absl::string_view>& f) {
    if (f.size() < 4 || f[0].empty()) return;
    const std::optional<uint32_t> uid = ParseId(f[2]);
    const std::optional<uint32_t> gid = ParseId(f[3]);
    if (!uid || !gid) return;
    users.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : ""});
  });
  return users;
}

std::vector<GroupEntry> ParseGroup(absl::string_view content) {
  std::vector<GroupEntry> groups;
  // name:password:gid:members
  ForEachRecord(content, 4, [&groups](const std::vector<absl::string_view>& f) {
    if (f.size() < 3 || f[0].empty()) return;
    const std::optional<uint32_t> gid = ParseId(f[2]);
    if (!gid) return;
    GroupEntry group{std::string(f[0]), *gid, {}};
    if (f.size() > 3) {
      for (absl::string_view member : absl::StrSplit(f[3], ',', absl::SkipWhitespace())) {
        group.members.emplace_back(absl::StripAsciiWhitespace(member));
      }
    }
    groups.push_back(std::move(group));
  });
  return groups;
}

const PasswdEntry* UserDatabase::FindUser(absl::string_view name) const {
  for (const PasswdEntry& user : users) {
    if (user.name == name) return &user;
  }
  return nullptr;
}

const PasswdEntry* UserDatabase::FindUid(uint32_t uid) const {
  for (const PasswdEntry& user : users) {
    if (user.uid == uid) return &user;
  }
  return nullptr;
}

const GroupEntry* UserDatabase::FindGroup(absl::string_view name) const {
  for (const GroupEntry& group : groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

std::vector<uint32_t> UserDatabase::GroupsListing(absl::string_view user) const {
  std::vector<uint32_t> gids;
  for (const GroupEntry& group : groups) {
    for (const std::string& member : group.members) {
      if (member == user) {
        gids.push_back(group.gid);
        break;
      }
    }
  }
  return gids;
}

absl::StatusOr<UserDatabase> ReadUserDatabase(const std::string& rootfs) {
  UniqueFd root(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    const int error = errno;
    return util::SystemCallErrorOf(absl::ErrnoToStatusCode(error), error,
                                   absl::StrCat("opening container rootfs ", rootfs));
  }
  UserDatabase db;
  absl::StatusOr<std::optional<std::string>> passwd = ReadInRoot(root.get(), "etc/passwd");
  if (!passwd.ok()) return passwd.status();
  if (passwd->has_value()) db.users = ParsePasswd(**passwd);
  absl::StatusOr<std::optional<std::string>> group = ReadInRoot(root.get(), "etc/group");
  if (!group.ok()) return group.status();
  if (group->has_value()) db.groups = ParseGroup(**group);
  return db;
}

absl::StatusOr<ResolvedUser> ResolveUser(const UserDatabase& db, absl::string_view user,
                                         absl::string_view field) {
  const std::vector<absl::string_view> parts = absl::StrSplit(user, ':');
  if (parts.size() > 2 || (parts.size() == 2 && (parts[0].empty() || parts[1].empty()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", user, "\" is not of the form user[:group]"));
  }
  const absl::string_view user_part = parts[0].empty() ? "0" : parts[0];

  ResolvedUser resolved;
  std::string name;
  if (const std::optional<uint32_t> uid = ParseId(user_part)) {
    resolved.uid = *uid;
    if (const PasswdEntry* entry = db.FindUid(*uid)) {
      resolved.gid = entry->gid;
      resolved.home = entry->home;
      name = entry->name;
    }
  } else {
    const PasswdEntry* entry = db.FindUser(user_part);
    if (entry == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": user \"", user_part, "\" not found in the image's /etc/passwd"));
    }
    resolved.uid = entry->uid;
    resolved.gid = entry->gid;
    resolved.home = entry->home;
    name = entry->name;
  }

  if (parts.size() == 2) {
    if (const std::optional<uint32_t> gid = ParseId(parts[1])) {
      resolved.gid = *gid;
    } else {
      const GroupEntry* group = db.FindGroup(parts[1]);
      if (group == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": group \"", parts[1], "\" not found in the image's /etc/group"));
      }
      resolved.gid = group->gid;
    }
  }
  if (!name.empty()) resolved.listed_gids = db.GroupsListing(name);
  return resolved;
}

}  // namespace cloison::oci
