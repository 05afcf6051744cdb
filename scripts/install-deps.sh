#!/usr/bin/env bash
# Installs every package cloison needs to build, run and test, from Debian 12's archive only.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

build_packages=(
  build-essential cmake pkg-config git
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libtoml11-dev
  libseccomp-dev libcurl4-openssl-dev libssl-dev libarchive-dev libzstd-dev
  libboost-dev zlib1g-dev
  libyaml-cpp-dev  # CDI spec files in YAML
  libgtest-dev libgmock-dev
  libbenchmark-dev  # bench/cri-bench
)
runtime_packages=(
  runc runsc containernetworking-plugins containerd
  iproute2 iptables util-linux procps ca-certificates
)
test_packages=(
  docker-registry skopeo umoci busybox-static apache2-utils openssl python3
  jq curl  # bench/ scripts
)

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${build_packages[@]}" "${runtime_packages[@]}" "${test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The containerd package brings a containerd service; cloison does not use it, only its
# containerd-shim-runc-v2 binary (the shim v2 peer for the vm handler tests).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now containerd.service >/dev/null 2>&1 || true
  systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
