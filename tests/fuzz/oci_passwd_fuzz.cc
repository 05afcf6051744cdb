// /etc/passwd and /etc/group from an image's rootfs (any bytes): the bytes are parsed as both,
// and every user they name is resolved as an image User ("name" and "name:group") into the
// process user the spec gets, whose HOME must serialize into config.json.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cloison/oci/image_config.h"
#include "cloison/oci/process.h"
#include "cloison/oci/user_lookup.h"
#include "nlohmann/json.hpp"

namespace {

void Resolve(const cloison::oci::UserDatabase& db, const std::string& user) {
  cloison::oci::ImageConfig image;
  image.user = user;
  absl::StatusOr<cloison::oci::ProcessUser> resolved =
      cloison::oci::ResolveProcessUser(db, cloison::oci::UserRequest{}, image);
  if (!resolved.ok()) return;
  (void)nlohmann::json{{"env", {absl::StrCat("HOME=", resolved->home)}}, {"gids", resolved->additional_gids}}.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  cloison::oci::UserDatabase db;
  db.users = cloison::oci::ParsePasswd(text);
  db.groups = cloison::oci::ParseGroup(text);
  for (const cloison::oci::PasswdEntry& user : db.users) {
    if (db.FindUser(user.name) == nullptr) std::abort();  // every parsed name must be found again
  }
  // Bounded: a file of many short lines has many users, and each lookup walks them all.
  for (size_t i = 0; i < db.users.size() && i < 8; ++i) {
    Resolve(db, db.users[i].name);
    Resolve(db, absl::StrCat(db.users[i].uid));
    if (i < db.groups.size()) Resolve(db, absl::StrCat(db.users[i].name, ":", db.groups[i].name));
  }
  return 0;
}
