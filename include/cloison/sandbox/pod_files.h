// The files a pod's containers get bind-mounted as /etc/hostname, /etc/hosts and
// /etc/resolv.conf, written atomically (0644) into the sandbox's directory.
//  hostname:    "<hostname>\n".
//  hosts:       like kubelet's managed hosts file: localhost on 127.0.0.1 and ::1, the IPv6
//               names, then "<ip>\t<hostname>" for each pod IP, or 127.0.1.1 (Debian's
//               convention) while the pod has none. A host-network pod gets a copy of the
//               node's hosts file instead (as containerd; kubelet does the same for the
//               hosts file it manages), or the generated one when the node has none.
//  resolv.conf: from the CRI DNSConfig: one "nameserver" line per server, one "search" line,
//               one "options" line. When the DNSConfig is empty the node's resolv.conf is
//               copied as it is (as CRI-O and containerd do); a node without one gives an
//               empty file.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloison/cri/api.h"

namespace cloison::sandbox {

struct PodFilesSpec {
  std::string hostname;              // 1-64 of [A-Za-z0-9._-]
  std::vector<std::string> pod_ips;  // the pod's IPs, when known
  ::runtime::v1::DNSConfig dns_config;
  bool host_network = false;
  std::string host_resolv_conf = "/etc/resolv.conf";
  std::string host_hosts = "/etc/hosts";
};

// Absolute paths of the written files.
struct PodFilePaths {
  std::string hostname;
  std::string hosts;
  std::string resolv_conf;
};

// Writes the three files into `dir` (created if missing). INVALID_ARGUMENT names the bad field
// (hostname, pod_ips[i], dns_config.servers[i], dns_config.searches[i], dns_config.options[i]).
absl::StatusOr<PodFilePaths> WritePodFiles(const std::string& dir, const PodFilesSpec& spec);

}  // namespace cloison::sandbox
