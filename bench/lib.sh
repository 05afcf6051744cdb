# Shared helpers of bench/*.sh (sourced, not run). Everything a bench starts lives under
# $BENCH_TMP and is stopped by bench_cleanup (installed as the EXIT trap by bench_init).
# shellcheck shell=bash

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_TMP=
BENCH_KEEP_TMP=${BENCH_KEEP_TMP:-0}
REGISTRY_PID=
REGISTRY_PORT=
CLOISOND_PID=
CLOISOND_SOCKET=
CLOISOND_DIR=
CONTAINERD_PID=
CONTAINERD_SOCKET=
CONTAINERD_DIR=
# Pods get their cgroups under /<BENCH_CGROUP_ROOT>/ in every hierarchy (cri-bench --cgroup-root).
BENCH_CGROUP_ROOT=

say() { printf '%s\n' "$*" >&2; }
die() { say "$(basename "$0"): $*"; exit 1; }
kv() { printf '%s: %s\n' "$1" "$2"; }

# bench_init NAME: the temp dir and the EXIT/INT/TERM traps.
bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cloison-$1.XXXXXX")
  BENCH_CGROUP_ROOT=$(basename "$BENCH_TMP")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

now() { date +%s.%N; }
# elapsed START [END]: seconds (3 decimals) from START to END (default: now).
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
# median N...: the median of the numbers (mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratio A B: A/B with 3 decimals ("nan" if B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.3f", a / b }'; }
# p95 N...: the nearest-rank 95th percentile of the numbers.
p95() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    r = int(NR * 0.95); if (r < NR * 0.95) r++; if (r < 1) r = 1; printf "%.3f", v[r] }'
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# default_binaries: CLOISOND and CRI_BENCH from --cloisond/--cri-bench or the build dirs.
default_binaries() {
  CLOISOND=${CLOISOND:-$BENCH_SRC/build/src/cloisond}
  if [ -z "${CRI_BENCH:-}" ]; then
    CRI_BENCH=$(dirname "$CLOISOND")/../bench/cri-bench
    [ -x "$CRI_BENCH" ] || CRI_BENCH=$BENCH_SRC/build/bench/cri-bench
  fi
  [ -x "$CLOISOND" ] || die "cloisond not found at $CLOISOND (./scripts/build.sh, or --cloisond PATH)"
  [ -x "$CRI_BENCH" ] || die "cri-bench not found at $CRI_BENCH (./scripts/build.sh, or --cri-bench PATH)"
  CLOISOND=$(realpath "$CLOISOND")
  CRI_BENCH=$(realpath "$CRI_BENCH")
}

# start_registry: docker-registry serve on 127.0.0.1 (free port, retried if taken), storage in
# $BENCH_TMP/registry; waits until GET /v2/ answers 200. Sets REGISTRY_PORT and REGISTRY_PID.
start_registry() {
  command -v docker-registry >/dev/null || die "docker-registry not found (apt-get install docker-registry)"
  local dir=$BENCH_TMP/registry attempt
  mkdir -p "$dir/storage"
  for attempt in 1 2 3 4 5; do
    REGISTRY_PORT=$(free_port)
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  secret: cloison-bench-secret
EOF
    docker-registry serve "$dir/config.yml" </dev/null >>"$dir/registry.log" 2>&1 &
    REGISTRY_PID=$!
    local _
    for _ in $(seq 1 300); do
      if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
        wait "$REGISTRY_PID" 2>/dev/null || true
        REGISTRY_PID=
        break
      fi
      if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT/v2/" 2>/dev/null)" = 200 ]; then
        say "registry on 127.0.0.1:$REGISTRY_PORT (attempt $attempt)"
        return 0
      fi
      sleep 0.05
    done
    if [ -n "$REGISTRY_PID" ]; then
      tail -20 "$dir/registry.log" >&2
      die "docker-registry did not answer within 15 s"
    fi
    grep -q 'address already in use' "$dir/registry.log" || { tail -20 "$dir/registry.log" >&2; die "docker-registry exited"; }
  done
  die "docker-registry could not bind a port"
}

# push_layout LAYOUT:TAG REPO:TAG: skopeo copy into the registry, digests preserved.
push_layout() {
  skopeo --insecure-policy copy --quiet --preserve-digests --dest-tls-verify=false --dest-no-creds \
    "oci:$1" "docker://127.0.0.1:$REGISTRY_PORT/$2" >&2
}

# start_cloisond: cloisond with its own config, root, state and socket under $BENCH_TMP/cloisond
# (cni_config_dir: an empty dir); waits for the socket. Sets CLOISOND_PID, CLOISOND_SOCKET, CLOISOND_DIR.
start_cloisond() {
  CLOISOND_DIR=$BENCH_TMP/cloisond
  mkdir -p "$CLOISOND_DIR/conf.d" "$CLOISOND_DIR/cni" "$CLOISOND_DIR/run"
  CLOISOND_SOCKET=$CLOISOND_DIR/run/cloison.sock
  printf '[network]\ncni_config_dir = "%s"\n' "$CLOISOND_DIR/cni" >"$CLOISOND_DIR/cloison.toml"
  "$CLOISOND" --config "$CLOISOND_DIR/cloison.toml" --config-dir "$CLOISOND_DIR/conf.d" \
    --listen "unix://$CLOISOND_SOCKET" --root "$CLOISOND_DIR/root" --state "$CLOISOND_DIR/state" \
    --log-level "${CLOISOND_LOG_LEVEL:-info}" </dev/null >"$CLOISOND_DIR/cloisond.log" 2>&1 &
  CLOISOND_PID=$!
  local _
  for _ in $(seq 1 400); do
    kill -0 "$CLOISOND_PID" 2>/dev/null || { tail -30 "$CLOISOND_DIR/cloisond.log" >&2; CLOISOND_PID=; die "cloisond exited"; }
    [ -S "$CLOISOND_SOCKET" ] && { say "cloisond pid $CLOISOND_PID, socket $CLOISOND_SOCKET"; return 0; }
    sleep 0.05
  done
  tail -30 "$CLOISOND_DIR/cloisond.log" >&2
  die "cloisond did not create its socket within 20 s"
}

# start_containerd PAUSE_IMAGE: containerd (Debian's 1.6) with its CRI plugin, its own config,
# root, state, socket and runc root under $BENCH_TMP/containerd: runc handler (cgroupfs), the
# registry as a plain-HTTP mirror of itself, PAUSE_IMAGE as sandbox image, an empty CNI config
# dir (the bench's pods use the host network), unused plugins off. Waits for the socket.
# Sets CONTAINERD_PID, CONTAINERD_SOCKET, CONTAINERD_DIR.
start_containerd() {
  command -v containerd >/dev/null || die "containerd not found (apt-get install containerd)"
  CONTAINERD_DIR=$BENCH_TMP/containerd
  mkdir -p "$CONTAINERD_DIR/cni" "$CONTAINERD_DIR/runc"
  CONTAINERD_SOCKET=$CONTAINERD_DIR/containerd.sock
  local cri='plugins."io.containerd.grpc.v1.cri"'
  cat >"$CONTAINERD_DIR/config.toml" <<TOML
version = 2
root = "$CONTAINERD_DIR/root"
state = "$CONTAINERD_DIR/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$CONTAINERD_SOCKET"

[$cri]
  sandbox_image = "$1"
  disable_cgroup = false
  # This machine denies lowering oom_score_adj (the sandbox would get -998): clamp it.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [$cri.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [$cri.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [$cri.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$CONTAINERD_DIR/runc"
  [$cri.cni]
    conf_dir = "$CONTAINERD_DIR/cni"
    bin_dir = "/usr/lib/cni"
  [$cri.registry.mirrors."127.0.0.1:$REGISTRY_PORT"]
    endpoint = ["http://127.0.0.1:$REGISTRY_PORT"]
TOML
  containerd --config "$CONTAINERD_DIR/config.toml" --log-level "${CONTAINERD_LOG_LEVEL:-warn}" \
    </dev/null >"$CONTAINERD_DIR/containerd.log" 2>&1 &
  CONTAINERD_PID=$!
  local _
  for _ in $(seq 1 400); do
    kill -0 "$CONTAINERD_PID" 2>/dev/null || { tail -30 "$CONTAINERD_DIR/containerd.log" >&2; CONTAINERD_PID=; die "containerd exited"; }
    [ -S "$CONTAINERD_SOCKET" ] && { say "containerd pid $CONTAINERD_PID, socket $CONTAINERD_SOCKET"; return 0; }
    sleep 0.05
  done
  tail -30 "$CONTAINERD_DIR/containerd.log" >&2
  die "containerd did not create its socket within 20 s"
}

# test_images_dir: IMAGES_DIR with the busybox test fixture (tests/fixtures/build-images.sh):
# --images DIR, else build/fixtures/images when built, else built into $BENCH_TMP/images.
test_images_dir() {
  if [ -z "${IMAGES_DIR:-}" ] && [ -d "$BENCH_SRC/build/fixtures/images/busybox" ]; then
    IMAGES_DIR=$BENCH_SRC/build/fixtures/images
  fi
  if [ -z "${IMAGES_DIR:-}" ]; then
    IMAGES_DIR=$BENCH_TMP/images
    "$BENCH_SRC/tests/fixtures/build-images.sh" "$IMAGES_DIR" >&2
  fi
  [ -d "$IMAGES_DIR/busybox" ] || die "no busybox layout in $IMAGES_DIR"
}

# build_pause_layout LAYOUT PAUSE_BINARY: a one-layer image whose entrypoint is /pause (the
# static cloison-pause), tagged LAYOUT:1; containerd's sandbox image (there is no internet).
build_pause_layout() {
  local work=$BENCH_TMP/pause-work
  mkdir -p "$work/root"
  cp "$2" "$work/root/pause"
  (cd "$work/root" && tar --create --file="$work/layer.tar" --numeric-owner --owner=0 --group=0 \
    --mtime=@1704067200 pause)
  umoci init --layout "$1"
  umoci new --image "$1:1"
  umoci raw add-layer --image "$1:1" "$work/layer.tar"
  umoci config --image "$1:1" --architecture amd64 --os linux --config.entrypoint /pause
  rm -rf "$work"
}

# build_big_layout LAYOUT: the ~100 MiB pull image, tagged LAYOUT:1: 5 gzip layers (busybox,
# 4×8 MiB files, one 32 MiB file, 384×64 KiB files, 2×6 MiB files) of AES-128-CTR keystream
# under a fixed key: incompressible, and the same bytes and digests on every run.
build_big_layout() {
  local layout=$1 work=$BENCH_TMP/big-work MiB=1048576 i l applet t_build
  t_build=$(now)
  export SOURCE_DATE_EPOCH=1704067200
  local busybox=${BUSYBOX:-/bin/busybox}
  [ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
  mkdir -p "$work"
  keystream() {
    head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt \
      -K 00112233445566778899aabbccddeeff -iv "$2"
  }
  make_tar() {
    (cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
      tar --create --file="$2" --format=gnu --numeric-owner --owner=0 --group=0 \
          --mtime="@$SOURCE_DATE_EPOCH" --no-recursion --verbatim-files-from --files-from=-)
  }
  # Layer 1: busybox.
  mkdir -p "$work/l1/bin" "$work/l1/etc" "$work/l1/tmp"
  cp "$busybox" "$work/l1/bin/busybox"
  for applet in sh sleep cat ls true; do ln -s busybox "$work/l1/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$work/l1/etc/passwd"
  printf 'root:x:0:\n' >"$work/l1/etc/group"
  # Layer 2: 4 files of 8 MiB.
  mkdir -p "$work/l2/data/a"
  for i in 0 1 2 3; do keystream $((8 * MiB)) "0000000000000000000000000000020$i" >"$work/l2/data/a/file$i.bin"; done
  # Layer 3: one 32 MiB file.
  mkdir -p "$work/l3/data/b"
  keystream $((32 * MiB)) 00000000000000000000000000000300 >"$work/l3/data/b/big.bin"
  # Layer 4: 384 files of 64 KiB (24 MiB; per-file overhead).
  mkdir -p "$work/l4/data/c"
  keystream $((24 * MiB)) 00000000000000000000000000000400 | (cd "$work/l4/data/c" && split -b 65536 -a 3 -d - part.)
  # Layer 5: 2 files of 6 MiB.
  mkdir -p "$work/l5/data/d"
  for i in 0 1; do keystream $((6 * MiB)) "0000000000000000000000000000050$i" >"$work/l5/data/d/file$i.bin"; done
  find "$work"/l? -type f -exec chmod 0644 {} + ; chmod 0755 "$work/l1/bin/busybox"
  find "$work"/l? -mindepth 1 -type d -exec chmod 0755 {} + ; chmod 1777 "$work/l1/tmp"

  umoci init --layout "$layout"
  umoci new --image "$layout:1"
  for l in 1 2 3 4 5; do
    make_tar "$work/l$l" "$work/l$l.tar"
    umoci raw add-layer --image "$layout:1" --history.created 2024-01-01T00:00:00Z \
      --history.created_by "cloison bench: layer $l" "$work/l$l.tar"
  done
  umoci config --image "$layout:1" --no-history --created 2024-01-01T00:00:00Z --architecture amd64 \
    --os linux --config.cmd /bin/sh --config.env PATH=/bin --config.workingdir / --config.user ""
  umoci gc --layout "$layout"
  rm -rf "$work"
  say "built the ~100 MiB image in $(elapsed "$t_build") s"
}

cri_bench() { "$CRI_BENCH" --endpoint "$CLOISOND_SOCKET" "$@"; }

# value KEY FILE: the value of "KEY: value" in FILE.
value() { awk -v k="$1:" '$1 == k { print $2; exit }' "$2"; }

stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  local _
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# Stops what the bench started: cloisond, containerd, the registry, containers left in the
# bench's runc roots, processes whose command line names $BENCH_TMP (cloison-monitor,
# containerd's shims) and the sockets of those shims in /run/containerd/s, mounts under
# $BENCH_TMP, the pods' cgroups under /$BENCH_CGROUP_ROOT; then removes $BENCH_TMP.
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ -n "$BENCH_TMP" ] || exit "$rc"
  stop_pid "$CLOISOND_PID"
  stop_pid "$CONTAINERD_PID"
  stop_pid "$REGISTRY_PID"
  local root id pid mnt dir sock shim_sockets=
  # runc state dirs under the bench's temp dir: cloisond's handler roots, containerd's runc
  # root (one per containerd namespace) and the bare runc floor's own.
  for root in "$BENCH_TMP"/cloisond/state/runtimes/* "$BENCH_TMP"/containerd/runc/* "$BENCH_TMP"/runc-root*; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do
      runc --root "$root" delete -f "$id" >/dev/null 2>&1
    done
  done
  # containerd 1.6 puts shim sockets in /run/containerd/s whatever its state dir.
  if [ -n "$CONTAINERD_SOCKET" ]; then
    for pid in $(pgrep -f -- "-address $CONTAINERD_SOCKET"); do
      shim_sockets+=" $(ss -xlpn 2>/dev/null | grep -F "pid=$pid," | grep -o '/run/containerd/s/[0-9a-f]*')"
    done
  fi
  grep -l -F -- "$BENCH_TMP" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
    while read -r pid; do [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null; done
  for sock in $shim_sockets; do rm -f "$sock"; done
  if [ -n "$BENCH_CGROUP_ROOT" ]; then
    for dir in /sys/fs/cgroup/"$BENCH_CGROUP_ROOT" /sys/fs/cgroup/*/"$BENCH_CGROUP_ROOT"; do
      [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  fi
  # Deepest mounts first.
  awk -v d="$BENCH_TMP" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mnt; do umount -l "$mnt" 2>/dev/null; done
  if [ "$BENCH_KEEP_TMP" = 1 ]; then
    say "kept $BENCH_TMP"
  else
    rm -rf "$BENCH_TMP"
  fi
  exit "$rc"
}
