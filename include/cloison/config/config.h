// The daemon's configuration as plain values: what cloison.toml, its drop-ins and the
// command-line flags resolve to. Loading and validation live in config/loader.h.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cloison::config {

// How a handler's runtime is driven.
enum class RuntimeType {
  kOci,  // an OCI runtime CLI (runc, crun, runsc) under cloison-monitor
  kVm,   // a containerd shim v2 binary spoken to over ttrpc (Kata Containers)
};

// Whether a handler's pods get an infra (pause) container.
enum class SandboxMode {
  kAuto,   // only when the pod shares one PID namespace
  kInfra,  // always: the runtime builds its sandbox around the infra container
};

struct RuntimeHandler {
  std::string name;
  std::string runtime_path;         // a bare name is looked up in $PATH
  RuntimeType runtime_type = RuntimeType::kOci;
  std::string runtime_root;         // --root for the runtime; set by the loader when empty
  std::string runtime_config_path;  // handed to "vm" runtimes
  std::vector<std::string> runtime_args;
  std::string monitor_path;         // empty: cloison-monitor beside cloisond
  bool privileged_without_host_devices = false;
  std::vector<std::string> allowed_annotations;
  SandboxMode sandbox_mode = SandboxMode::kAuto;
  // ExecSync enters the container without the runtime ("oci" handlers other than runsc).
  bool direct_exec_sync = false;

  bool operator==(const RuntimeHandler&) const = default;
};

struct NetworkConfig {
  std::string cni_config_dir;
  std::vector<std::string> cni_plugin_dirs;
  int plugin_timeout = 60;  // seconds one CNI plugin call may take

  bool operator==(const NetworkConfig&) const = default;
};

// Where the streaming server (Exec, Attach, PortForward URLs) listens.
struct StreamingConfig {
  std::string address;  // an IP address
  int port = 0;         // 0 = a free port chosen at startup
  int idle_timeout = 14400;  // seconds a session may pass with no traffic; 0 = no limit

  bool operator==(const StreamingConfig&) const = default;
};

// How one registry (host[:port], e.g. "docker.io" or "127.0.0.1:5000") is reached.
struct RegistryConfig {
  std::vector<std::string> mirrors;  // [scheme://]host[:port], tried in order before the origin
  bool insecure = false;             // plain HTTP allowed (loopback registries always may)
  std::string ca_file;               // extra PEM CA bundle trusted for this registry
  int timeout = 30;                  // seconds to connect, and the longest stall mid-transfer

  bool operator==(const RegistryConfig&) const = default;
};

struct ImageConfig {
  std::vector<std::string> search_registries;  // for short names such as "busybox"
  int max_concurrent_downloads = 0;            // layer downloads at once, across pulls
  std::map<std::string, RegistryConfig> registries;  // by registry host[:port]
  // Patterns (ParsePinnedImagePattern) of the images reported pinned=true, which kubelet's
  // image garbage collection leaves alone.
  std::vector<std::string> pinned_images;

  bool operator==(const ImageConfig&) const = default;
};

// Container Device Interface: devices named in CreateContainer (CDI_devices, cdi.k8s.io/*
// annotations) are looked up in the spec files of these directories.
struct CdiConfig {
  bool enabled = false;
  std::vector<std::string> spec_dirs;  // later directories override earlier ones

  bool operator==(const CdiConfig&) const = default;
};

struct Config {
  std::string root;
  std::string state;
  std::string listen;  // socket path (a unix:// prefix is stripped by the loader)
  std::string log_level;
  std::string cgroup_driver;  // "cgroupfs" or "systemd"
  int shutdown_timeout = 0;   // seconds
  std::string default_runtime;
  std::string untrusted_workload_runtime;  // for pods marked untrusted by annotation; "" = none
  std::string seccomp_profile_root;  // Localhost seccomp profiles must be under it
  NetworkConfig network;
  StreamingConfig streaming;
  ImageConfig image;
  CdiConfig cdi;
  std::map<std::string, RuntimeHandler> runtimes;  // by handler name

  bool operator==(const Config&) const = default;
};

const char* RuntimeTypeName(RuntimeType type);
const char* SandboxModeName(SandboxMode mode);

}  // namespace cloison::config
