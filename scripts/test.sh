#!/usr/bin/env bash
# Installs every dependency, builds cloison and runs the whole test suite (unit and
# integration) with CTest. Run as root on Debian 12: the integration tests start cloisond,
# runtimes and a local registry on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
build_dir=${CLOISON_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
