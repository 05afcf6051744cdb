// The container's user database and user resolution against it. /etc/passwd and /etc/group
// are read from the container's root filesystem with openat2(RESOLVE_IN_ROOT), so a symlink
// (absolute or relative, through any number of "..") resolves inside the rootfs and can never
// make the daemon read the host's files. Missing files mean an empty database; a file that is
// not a regular file, or a lookup loop, is an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cloison::oci {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Both files of one rootfs, parsed. Malformed lines are skipped, as libc does.
struct UserDatabase {
  std::vector<PasswdEntry> users;
  std::vector<GroupEntry> groups;

  // The first entry with that name or id, or nullptr.
  const PasswdEntry* FindUser(absl::string_view name) const;
  const PasswdEntry* FindUid(uint32_t uid) const;
  const GroupEntry* FindGroup(absl::string_view name) const;
  // The gids of the groups whose member list names `user`, in file order.
  std::vector<uint32_t> GroupsListing(absl::string_view user) const;
};

// The entries of an /etc/passwd or /etc/group text (the image's: any bytes). Lines without
// enough fields, with an empty name or with an id that is not a decimal below 2^32-1 are
// skipped; comments, blank lines and NIS "+"/"-" lines too.
std::vector<PasswdEntry> ParsePasswd(absl::string_view content);
std::vector<GroupEntry> ParseGroup(absl::string_view content);

// Reads etc/passwd and etc/group of the rootfs at `rootfs` (an absolute host path).
absl::StatusOr<UserDatabase> ReadUserDatabase(const std::string& rootfs);

// What a user resolves to inside the container.
struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> listed_gids;  // groups of /etc/group listing the user (by name)
  std::string home;                   // from /etc/passwd ("" when the user has no entry)
};

// Resolves a user in the image-config syntax: "user[:group]" where each part is a name or a
// number. A user name must exist in /etc/passwd; a numeric uid may be missing from it (its gid
// is then 0, as Docker and containerd do). A group part replaces the passwd gid; a group name
// must exist in /etc/group. Errors are INVALID_ARGUMENT messages that begin with `field`.
absl::StatusOr<ResolvedUser> ResolveUser(const UserDatabase& db, absl::string_view user,
                                         absl::string_view field);

}  // namespace cloison::oci
