#!/usr/bin/env bash
# Configures and builds cloison into build/ (or $CLOISON_BUILD_DIR). Dependencies must be
# installed already (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CLOISON_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
