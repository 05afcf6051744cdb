#include "cloison/sandbox/pod_files.h"

#include <arpa/inet.h>

#include <filesystem>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloison/util/atomic_file.h"

namespace cloison::sandbox {
namespace {

constexpr size_t kMaxHostnameLength = 64;
constexpr unsigned kFileMode = 0644;

bool IsIpAddress(const std::string& text) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

absl::Status ValidateHostname(const std::string& hostname) {
  if (hostname.empty() || hostname.size() > kMaxHostnameLength) {
    return absl::InvalidArgumentError(absl::StrCat("hostname \"", hostname, "\": must be 1 to ",
                                                   kMaxHostnameLength, " characters"));
  }
  for (char c : hostname) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("hostname \"", hostname, "\": invalid character '", std::string(1, c), "'"));
    }
  }
  return absl::OkStatus();
}

// Each entry must be one non-empty word: it lands on a space-separated resolv.conf line.
absl::Status ValidateWords(const google::protobuf::RepeatedPtrField<std::string>& words,
                           absl::string_view field) {
  for (int i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    bool ok = !word.empty();
    for (char c : word) ok = ok && absl::ascii_isgraph(static_cast<unsigned char>(c));
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "] \"", word, "\": must be one word without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RenderResolvConf(const ::runtime::v1::DNSConfig& dns,
                                             const std::string& host_resolv_conf) {
  if (dns.servers().empty() && dns.searches().empty() && dns.options().empty()) {
    absl::StatusOr<std::string> host = util::ReadFile(host_resolv_conf);
    if (absl::IsNotFound(host.status())) return std::string();
    return host;
  }
  for (int i = 0; i < dns.servers_size(); ++i) {
    if (!IsIpAddress(dns.servers(i))) {
      return absl::InvalidArgumentError(
          absl::StrCat("dns_config.servers[", i, "] \"", dns.servers(i), "\": not an IP address"));
    }
  }
  if (absl::Status status = ValidateWords(dns.searches(), "dns_config.searches"); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateWords(dns.options(), "dns_config.options"); !status.ok()) {
    return status;
  }
  std::string text;
  for (const std::string& server : dns.servers()) {
    absl::StrAppend(&text, "nameserver ", server, "\n");
  }
  if (!dns.searches().empty()) {
    absl::StrAppend(&text, "search ", absl::StrJoin(dns.searches(), " "), "\n");
  }
  if (!dns.options().empty()) {
    absl::StrAppend(&text, "options ", absl::StrJoin(dns.options(), " "), "\n");
  }
  return text;
}

absl::StatusOr<std::string> RenderHosts(const PodFilesSpec& spec) {
  if (spec.host_network) {
    absl::StatusOr<std::string> host = util::ReadFile(spec.host_hosts);
    if (!absl::IsNotFound(host.status())) return host;
  }
  std::string text =
      "# Kubernetes-managed hosts file (written by cloison).\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  for (size_t i = 0; i < spec.pod_ips.size(); ++i) {
    if (!IsIpAddress(spec.pod_ips[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("pod_ips[", i, "] \"", spec.pod_ips[i], "\": not an IP address"));
    }
    absl::StrAppend(&text, spec.pod_ips[i], "\t", spec.hostname, "\n");
  }
  if (spec.pod_ips.empty()) absl::StrAppend(&text, "127.0.1.1\t", spec.hostname, "\n");
  return text;
}

}  // namespace

absl::StatusOr<PodFilePaths> WritePodFiles(const std::string& dir, const PodFilesSpec& spec) {
  if (absl::Status status = ValidateHostname(spec.hostname); !status.ok()) return status;
  absl::StatusOr<std::string> hosts = RenderHosts(spec);
  if (!hosts.ok()) return hosts.status();
  absl::StatusOr<std::string> resolv_conf =
      RenderResolvConf(spec.dns_config, spec.host_resolv_conf);
  if (!resolv_conf.ok()) return resolv_conf.status();

  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("create ", dir, ": ", error.message()));
  const std::filesystem::path base(dir);
  PodFilePaths paths{(base / "hostname").string(), (base / "hosts").string(),
                     (base / "resolv.conf").string()};
  const std::string hostname = absl::StrCat(spec.hostname, "\n");
  const std::pair<const std::string*, const std::string*> files[] = {
      {&paths.hostname, &hostname}, {&paths.hosts, &*hosts}, {&paths.resolv_conf, &*resolv_conf}};
  for (const auto& [path, content] : files) {
    if (absl::Status status = util::ReplaceFile(*path, *content, kFileMode); !status.ok()) {
      return status;
    }
  }
  return paths;
}

}  // namespace cloison::sandbox
