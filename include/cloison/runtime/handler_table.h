// The configured runtime handlers as found on this node: for each [runtimes.<name>], whether
// its binary can run here and which CRI handler features it supports. Built by probing the
// binaries (`<runtime> features` for OCI runtimes; a shim v2 of a "vm" handler has no such
// subcommand: only its presence and the node's /dev/kvm are noted), so building one runs
// subprocesses.
#pragma once

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "cloison/config/config.h"

namespace cloison::runtime {

struct HandlerFeatures {
  bool recursive_read_only_mounts = false;
  bool user_namespaces = false;
};

struct HandlerInfo {
  config::RuntimeHandler config;
  std::string resolved_path;       // the runtime binary; empty when not found
  std::string unavailable_reason;  // empty when the handler can run here
  HandlerFeatures features;
  std::string kvm_state;           // "vm" handlers: whether /dev/kvm is usable, for humans


  bool available() const { return unavailable_reason.empty(); }
};

class HandlerTable {
 public:
  // Probes every handler of `config`.
  static HandlerTable Probe(const config::Config& config);

  const HandlerInfo* Find(absl::string_view name) const;
  const std::vector<HandlerInfo>& handlers() const { return handlers_; }
  const std::string& default_name() const { return default_name_; }
  // The handler for pods marked untrusted by annotation ("" = none configured).
  const std::string& untrusted_name() const { return untrusted_name_; }
  // Comma-separated handler names, for error messages.
  std::string Names() const;

 private:
  std::vector<HandlerInfo> handlers_;  // sorted by name
  std::string default_name_;
  std::string untrusted_name_;
};

// "/dev/kvm is usable", or "/dev/kvm is not usable: <why>" (it does not open read-write).
std::string KvmState();

// What the running kernel offers that handler features depend on.
struct KernelFeatures {
  bool mount_setattr = false;            // recursive read-only mounts (5.12)
  bool idmapped_overlay_layers = false;  // ID-mapped rootfs for user namespaces (5.19)
};

// Reads the features an OCI runtime declares in its `features` JSON (runtime-spec
// features.md): recursive read-only mounts need "rro" and mount_setattr; user namespaces need
// "user" among the namespaces (cloison pins the namespace and ID-maps the rootfs itself) and
// ID-mapped overlay layers. The prober then turns user namespaces off for runsc.
HandlerFeatures FeaturesFromOciJson(absl::string_view features_json, const KernelFeatures& kernel);

}  // namespace cloison::runtime
