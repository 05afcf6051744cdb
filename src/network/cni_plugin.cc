#include "cloison/network/cni_plugin.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloison/util/bounded_json.h"
#include "cloison/util/command.h"

namespace cloison::network {
namespace {

// The plugin's own words: the CNI error object's msg and details, else its stderr.
std::string FailureText(const util::CommandResult& result) {
  const nlohmann::json error = nlohmann::json::parse(result.stdout_text, nullptr, false);
  if (error.is_object() && error.contains("msg") && error["msg"].is_string()) {
    std::string text = error["msg"].get<std::string>();
    if (error.contains("details") && error["details"].is_string() && !error["details"].get<std::string>().empty()) {
      absl::StrAppend(&text, ": ", error["details"].get<std::string>());
    }
    return text;
  }
  const std::string stderr_text(absl::StripAsciiWhitespace(result.stderr_text));
  if (!stderr_text.empty()) return stderr_text;
  return absl::StrCat("exit status ", result.exit_code, " without an error message");
}

}  // namespace

absl::StatusOr<std::string> FindPlugin(const std::string& type, const std::vector<std::string>& dirs) {
  if (type.find('/') == std::string::npos) {
    for (const std::string& dir : dirs) {
      const std::string candidate = absl::StrCat(dir, "/", type);
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return absl::NotFoundError(absl::StrCat("CNI plugin \"", type, "\" not found in cni_plugin_dirs (",
                                          absl::StrJoin(dirs, ":"), ")"));
}

absl::StatusOr<nlohmann::json> InvokePlugin(const std::string& binary, const nlohmann::json& config,
                                            const PluginCall& call) {
  util::CommandInput input;
  input.stdin_data = config.dump();
  input.env = {absl::StrCat("CNI_COMMAND=", call.command),   absl::StrCat("CNI_CONTAINERID=", call.container_id),
               absl::StrCat("CNI_NETNS=", call.netns),       absl::StrCat("CNI_IFNAME=", call.ifname),
               absl::StrCat("CNI_ARGS=", call.args),         absl::StrCat("CNI_PATH=", absl::StrJoin(call.plugin_dirs, ":"))};
  const std::string what = absl::StrCat("CNI plugin ", config.value("type", binary), " ", call.command);
  absl::StatusOr<util::CommandResult> result = util::RunCommand({binary}, call.timeout, input);
  if (!result.ok()) return absl::Status(result.status().code(), absl::StrCat(what, ": ", result.status().message()));
  if (result->exit_code != 0) return absl::InternalError(absl::StrCat(what, " failed: ", FailureText(*result)));
  if (absl::StripAsciiWhitespace(result->stdout_text).empty()) return nlohmann::json();
  absl::StatusOr<nlohmann::json> output = util::ParseBoundedJson(result->stdout_text);
  if (!output.ok()) return absl::InternalError(absl::StrCat(what, ": its output is ", output.status().message()));
  if (output->is_discarded()) return absl::InternalError(absl::StrCat(what, ": its output is not JSON"));
  return output;
}

}  // namespace cloison::network
