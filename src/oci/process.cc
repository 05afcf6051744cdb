#include "cloison/oci/process.h"

#include <algorithm>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cloison/util/utf8.h"

namespace cloison::oci {
namespace {

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

absl::string_view EnvKey(absl::string_view entry) { return entry.substr(0, entry.find('=')); }

// Appends `entry`, or replaces the entry with the same key where it stands.
void SetEnv(std::vector<std::string>& env, std::map<std::string, size_t, std::less<>>& index,
            std::string entry) {
  const std::string key(EnvKey(entry));
  if (const auto it = index.find(key); it != index.end()) {
    env[it->second] = std::move(entry);
    return;
  }
  index.emplace(key, env.size());
  env.push_back(std::move(entry));
}

absl::StatusOr<uint32_t> IdFrom(int64_t value, absl::string_view field) {
  if (value < 0 || value >= int64_t{UINT32_MAX}) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value, " is not a valid id (0 to 4294967294)"));
  }
  return static_cast<uint32_t>(value);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ProcessArgs(const ::runtime::v1::ContainerConfig& config,
                                                     const ImageConfig& image) {
  std::vector<std::string> args;
  if (!config.command().empty()) {
    args.assign(config.command().begin(), config.command().end());
    args.insert(args.end(), config.args().begin(), config.args().end());
    return args;
  }
  const bool empty_entrypoint = image.entrypoint.size() == 1 && image.entrypoint[0].empty();
  if (!empty_entrypoint) args = image.entrypoint;
  if (!config.args().empty()) {
    args.insert(args.end(), config.args().begin(), config.args().end());
  } else {
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  }
  if (args.empty()) {
    return absl::InvalidArgumentError(
        "config.command: no command specified, and the image has neither Entrypoint nor Cmd");
  }
  return args;
}

absl::StatusOr<std::vector<std::string>> ProcessEnv(
    const ImageConfig& image, const google::protobuf::RepeatedPtrField<::runtime::v1::KeyValue>& envs,
    const BaseEnv& base) {
  std::vector<std::string> env;
  std::map<std::string, size_t, std::less<>> index;
  SetEnv(env, index, kDefaultPath);
  if (!base.hostname.empty()) SetEnv(env, index, absl::StrCat("HOSTNAME=", base.hostname));
  if (base.tty) SetEnv(env, index, "TERM=xterm");
  for (const std::string& entry : image.env) SetEnv(env, index, entry);
  for (int i = 0; i < envs.size(); ++i) {
    const ::runtime::v1::KeyValue& kv = envs[i];
    if (kv.key().empty() || kv.key().find_first_of(std::string("=\0", 2)) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("config.envs[", i, "].key: \"", kv.key(),
                                                     "\" is not a valid variable name"));
    }
    if (kv.value().find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.envs[", i, "].value: contains a NUL byte"));
    }
    SetEnv(env, index, absl::StrCat(kv.key(), "=", util::ValidUtf8(kv.value())));
  }
  return env;
}

absl::StatusOr<std::string> ProcessCwd(const ::runtime::v1::ContainerConfig& config,
                                       const ImageConfig& image) {
  if (!config.working_dir().empty()) {
    if (config.working_dir()[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("config.working_dir: \"", config.working_dir(),
                                                     "\" is not an absolute path"));
    }
    return config.working_dir();
  }
  if (!image.working_dir.empty()) {
    return image.working_dir[0] == '/' ? image.working_dir : absl::StrCat("/", image.working_dir);
  }
  return std::string("/");
}

UserRequest UserRequestOf(const ::runtime::v1::LinuxContainerSecurityContext& sc) {
  UserRequest request;
  request.field_prefix = "config.linux.security_context";
  if (sc.has_run_as_user()) request.run_as_user = sc.run_as_user().value();
  if (sc.has_run_as_group()) request.run_as_group = sc.run_as_group().value();
  request.run_as_username = sc.run_as_username();
  request.supplemental_groups.assign(sc.supplemental_groups().begin(),
                                     sc.supplemental_groups().end());
  request.strict_groups = sc.supplemental_groups_policy() == ::runtime::v1::Strict;
  return request;
}

UserRequest UserRequestOf(const ::runtime::v1::LinuxSandboxSecurityContext& sc) {
  UserRequest request;
  request.field_prefix = "sandbox_config.linux.security_context";
  if (sc.has_run_as_user()) request.run_as_user = sc.run_as_user().value();
  if (sc.has_run_as_group()) request.run_as_group = sc.run_as_group().value();
  request.supplemental_groups.assign(sc.supplemental_groups().begin(),
                                     sc.supplemental_groups().end());
  request.strict_groups = sc.supplemental_groups_policy() == ::runtime::v1::Strict;
  return request;
}

absl::StatusOr<ProcessUser> ResolveProcessUser(const UserDatabase& db, const UserRequest& request,
                                               const ImageConfig& image) {
  const std::string& prefix = request.field_prefix;
  if (request.run_as_user && !request.run_as_username.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": run_as_user and run_as_username are mutually exclusive"));
  }
  // The user in image-config syntax, and the field an unknown name is reported under.
  std::string user;
  std::string field;
  if (!request.run_as_username.empty()) {
    user = request.run_as_username;
    field = absl::StrCat(prefix, ".run_as_username");
  } else if (request.run_as_user) {
    absl::StatusOr<uint32_t> uid =
        IdFrom(*request.run_as_user, absl::StrCat(prefix, ".run_as_user"));
    if (!uid.ok()) return uid.status();
    user = absl::StrCat(*uid);
    field = absl::StrCat(prefix, ".run_as_user");
  } else if (request.run_as_group) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ".run_as_group: only valid together with run_as_user or run_as_username"));
  } else {
    user = image.user;
    field = "image config User";
  }
  if (request.run_as_group) {
    if (user.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": \"", user, "\" contains ':'"));
    }
    absl::StatusOr<uint32_t> gid =
        IdFrom(*request.run_as_group, absl::StrCat(prefix, ".run_as_group"));
    if (!gid.ok()) return gid.status();
    absl::StrAppend(&user, ":", *gid);
  }

  absl::StatusOr<ResolvedUser> resolved = ResolveUser(db, user, field);
  if (!resolved.ok()) return resolved.status();

  // The home comes from the image's /etc/passwd, in any bytes: the spec's HOME must be UTF-8.
  ProcessUser out{resolved->uid, resolved->gid, {resolved->gid}, util::ValidUtf8(resolved->home)};
  if (!request.strict_groups) {
    out.additional_gids.insert(out.additional_gids.end(), resolved->listed_gids.begin(),
                               resolved->listed_gids.end());
  }
  for (size_t i = 0; i < request.supplemental_groups.size(); ++i) {
    absl::StatusOr<uint32_t> gid = IdFrom(request.supplemental_groups[i],
                                          absl::StrCat(prefix, ".supplemental_groups[", i, "]"));
    if (!gid.ok()) return gid.status();
    out.additional_gids.push_back(*gid);
  }
  std::sort(out.additional_gids.begin(), out.additional_gids.end());
  out.additional_gids.erase(std::unique(out.additional_gids.begin(), out.additional_gids.end()),
                            out.additional_gids.end());
  return out;
}

}  // namespace cloison::oci
