#!/usr/bin/env bash
# Installs every dependency, builds cloison, installs cloisond to /usr/local/bin and starts it
# with its embedded default configuration, serving CRI v1 on /run/cloison/cloison.sock, and
# installs the example CNI network when /etc/cni/net.d holds none.
# On a systemd node it installs and starts cloisond.service; elsewhere it runs cloisond in
# the foreground (Ctrl-C stops it; containers keep running).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
build_dir=${CLOISON_BUILD_DIR:-build}
cmake --install "$build_dir" --prefix /usr/local --strip >/dev/null  # stripped: cloisond keeps a sealed in-memory copy of the monitor
echo "installed $(/usr/local/bin/cloisond --version | head -n1) to /usr/local/bin"

# A node without any CNI network gets the single-node example (bridge cloison0, 10.88.0.0/16).
if ! compgen -G "/etc/cni/net.d/*.conf*" >/dev/null && ! compgen -G "/etc/cni/net.d/*.json" >/dev/null; then
  install -D -m 0644 config/cni/10-cloison-bridge.conflist /etc/cni/net.d/10-cloison-bridge.conflist
  echo "installed the example CNI network /etc/cni/net.d/10-cloison-bridge.conflist"
fi

if [ -d /run/systemd/system ]; then
  install -m 0644 config/cloisond.service /etc/systemd/system/cloisond.service
  systemctl daemon-reload
  systemctl enable --now cloisond.service
  systemctl --no-pager status cloisond.service | head -n 5
  echo "cloisond is serving on unix:///run/cloison/cloison.sock (journalctl -u cloisond for logs)"
else
  echo "no systemd here: running cloisond in the foreground on unix:///run/cloison/cloison.sock"
  exec /usr/local/bin/cloisond
fi
