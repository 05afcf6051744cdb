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

say() { printf '%s\n' "$*" >&2; }
die() { say "$(basename "$0"): $*"; exit 1; }
kv() { printf '%s: %s\n' "$1" "$2"; }

# bench_init NAME: the temp dir and the EXIT/INT/TERM traps.
bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cloison-$1.XXXXXX")
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

cri_bench() { "$CRI_BENCH" --socket "$CLOISOND_SOCKET" "$@"; }

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

# Stops what the bench started: cloisond, the registry, containers left in the bench's runc
# roots, processes whose command line names $BENCH_TMP (cloison-monitor), mounts under
# $BENCH_TMP; then removes $BENCH_TMP.
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ -n "$BENCH_TMP" ] || exit "$rc"
  stop_pid "$CLOISOND_PID"
  stop_pid "$REGISTRY_PID"
  local root id pid mnt
  # runc state dirs under the bench's temp dir: cloisond's handler roots and pods-bench's own.
  for root in "$BENCH_TMP"/cloisond/state/runtimes/* "$BENCH_TMP"/runc-root*; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do
      runc --root "$root" delete -f "$id" >/dev/null 2>&1
    done
  done
  grep -l -F -- "$BENCH_TMP" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
    while read -r pid; do [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null; done
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
