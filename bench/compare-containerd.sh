#!/usr/bin/env bash
# cloisond against containerd (Debian's 1.6, its CRI plugin), side by side on this machine.
# See bench/README.md and docs/performance.md.
#
#   sudo bench/compare-containerd.sh [--pods 100] [--concurrent 20] [--rounds 3]
#        [--latency-pods 50 --containers-per-pod 10] [--calls 200] [--exec-calls 100]
#        [--cloisond PATH] [--cri-bench PATH] [--images DIR] [--keep-tmp]
#
# Starts a docker-registry on 127.0.0.1 with the busybox test fixture, the ~100 MiB pull image
# and a pause image (cloison-pause, containerd's sandbox image), then cloisond and containerd,
# each with its own root, state, socket and config (runc, cgroupfs, host-network pods so that
# neither pays for CNI). Runs every workload with `cri-bench` against one daemon then the
# other, daemon by daemon and round by round, then the bare `runc run -d` floor; stops
# everything it started and prints a table: median and p95 per daemon, cloison/containerd ratio
# of the medians and whether the target (<= 0.5) is met. The raw "key: value" results are kept
# in the temp dir with --keep-tmp.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

PODS=100
CONCURRENT=20
ROUNDS=3
LATENCY_PODS=50
PER_POD=10
CALLS=200
EXEC_CALLS=100
IMAGES_DIR=
while [ $# -gt 0 ]; do
  case $1 in
    --pods) PODS=$2; shift 2 ;;
    --concurrent) CONCURRENT=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --latency-pods) LATENCY_PODS=$2; shift 2 ;;
    --containers-per-pod) PER_POD=$2; shift 2 ;;
    --calls) CALLS=$2; shift 2 ;;
    --exec-calls) EXEC_CALLS=$2; shift 2 ;;
    --cloisond) CLOISOND=$2; shift 2 ;;
    --cri-bench) CRI_BENCH=$2; shift 2 ;;
    --images) IMAGES_DIR=$2; shift 2 ;;
    --keep-tmp) BENCH_KEEP_TMP=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root (both daemons and runc need it)"
for tool in containerd containerd-shim-runc-v2 runc umoci skopeo docker-registry curl jq openssl ss; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
default_binaries
PAUSE_BINARY=$(dirname "$CLOISOND")/cloison-pause
[ -x "$PAUSE_BINARY" ] || die "cloison-pause not found next to $CLOISOND"
bench_init compare-containerd
OUT=$BENCH_TMP/out
mkdir -p "$OUT"

# --- images in a local registry ------------------------------------------------------------
test_images_dir
build_big_layout "$BENCH_TMP/big"
build_pause_layout "$BENCH_TMP/pause" "$PAUSE_BINARY"
start_registry
push_layout "$IMAGES_DIR/busybox:latest" library/busybox:1.0
push_layout "$BENCH_TMP/big:1" bench/big:1
push_layout "$BENCH_TMP/pause:1" pause:3.6
BUSYBOX_IMAGE=127.0.0.1:$REGISTRY_PORT/library/busybox:1.0
BIG_IMAGE=127.0.0.1:$REGISTRY_PORT/bench/big:1
PAUSE_IMAGE=127.0.0.1:$REGISTRY_PORT/pause:3.6

# --- the two daemons ------------------------------------------------------------------------
start_cloisond
start_containerd "$PAUSE_IMAGE"
DAEMONS=(cloison containerd)
declare -A SOCKET=([cloison]=$CLOISOND_SOCKET [containerd]=$CONTAINERD_SOCKET)
declare -A PID=([cloison]=$CLOISOND_PID [containerd]=$CONTAINERD_PID)
# The per-pod helper processes (comm is cut to 15 characters) and a text of their command lines.
declare -A HELPER=([cloison]=cloison-monitor [containerd]=containerd-shim)
declare -A MARKER=([cloison]=$CLOISOND_DIR [containerd]=$CONTAINERD_DIR)

# bench DAEMON OUTFILE ARGS...: cri-bench ARGS against DAEMON, output in OUTFILE; dies (after
# the daemon's log tail) if it fails.
bench() {
  local daemon=$1 out=$2
  shift 2
  if ! "$CRI_BENCH" --endpoint "${SOCKET[$daemon]}" "$@" >"$out"; then
    cat "$out" >&2
    if [ "$daemon" = cloison ]; then tail -20 "$CLOISOND_DIR/cloisond.log" >&2; else tail -20 "$CONTAINERD_DIR/containerd.log" >&2; fi
    die "cri-bench $1 against $daemon failed"
  fi
}
pod_args() {
  printf '%s\n' --image "$BUSYBOX_IMAGE" --log-dir "$BENCH_TMP/pod-logs/$1" --cgroup-root "/$BENCH_CGROUP_ROOT/$1"
}

# Warm: the busybox image (and, for containerd, the pause image on the first pod) are pulled.
for d in "${DAEMONS[@]}"; do bench "$d" "$OUT/$d.warm-pull" pull --image "$BUSYBOX_IMAGE"; done
for d in "${DAEMONS[@]}"; do
  mapfile -t args < <(pod_args "$d")
  bench "$d" "$OUT/$d.warm-pods" concurrent "${args[@]}" --count 1
done

# 1. Cold pull of the ~100 MiB image, alternating.
for r in $(seq 1 "$ROUNDS"); do
  for d in "${DAEMONS[@]}"; do
    say "pull $r/$ROUNDS: $d"
    bench "$d" "$OUT/$d.pull-$r" pull --image "$BIG_IMAGE" --fresh
  done
done

# 2. Pods one after another: call latencies, RSS idle and with PODS pods, helpers, ExecSync.
for d in "${DAEMONS[@]}"; do
  say "pods: $PODS on $d"
  mapfile -t args < <(pod_args "$d")
  bench "$d" "$OUT/$d.pods" pods "${args[@]}" --count "$PODS" --daemon-pid "${PID[$d]}" \
    --helper-comm "${HELPER[$d]}" --helper-marker "${MARKER[$d]}" --exec-calls "$EXEC_CALLS"
done

# 3. CONCURRENT pods at once, alternating rounds.
for r in $(seq 1 "$ROUNDS"); do
  for d in "${DAEMONS[@]}"; do
    say "concurrent $r/$ROUNDS: $CONCURRENT pods on $d"
    mapfile -t args < <(pod_args "$d")
    bench "$d" "$OUT/$d.concurrent-$r" concurrent "${args[@]}" --count "$CONCURRENT"
  done
done

# 4. List / status latency with LATENCY_PODS × PER_POD containers present.
for d in "${DAEMONS[@]}"; do
  say "latency: $LATENCY_PODS pods × $PER_POD containers on $d"
  mapfile -t args < <(pod_args "$d")
  bench "$d" "$OUT/$d.latency" latency "${args[@]}" --pods "$LATENCY_PODS" --containers "$PER_POD" --calls "$CALLS"
done

# 5. The floor: the busybox rootfs as a runc bundle (runc's default spec: pid, ipc, uts and mount
# namespaces, read-only root; the host network, as the pods), `sleep 3600`, PODS times
# `runc run -d`, each in its own cgroup.
say "runc floor: $PODS × runc run -d"
BUNDLE=$BENCH_TMP/bundle
RUNC_ROOT=$BENCH_TMP/runc-root
mkdir -p "$BUNDLE" "$RUNC_ROOT"
umoci raw unpack --image "$IMAGES_DIR/busybox:latest" "$BUNDLE/rootfs" >&2
(cd "$BUNDLE" && runc spec)
jq --arg cg "/$BENCH_CGROUP_ROOT/runc" '.process.terminal = false | .process.args = ["sleep", "3600"] |
    .hostname = "bench" | .linux.cgroupsPath = $cg | del(.linux.namespaces[] | select(.type == "network"))' "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
runc_times=()
for i in $(seq 1 "$PODS"); do
  jq --arg cg "/$BENCH_CGROUP_ROOT/runc/bench-$i" '.linux.cgroupsPath = $cg' "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
  mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
  t0=$(now)
  runc --root "$RUNC_ROOT" run -d --bundle "$BUNDLE" "bench-$i" </dev/null >/dev/null 2>"$BENCH_TMP/runc.err" ||
    { cat "$BENCH_TMP/runc.err" >&2; die "runc run failed"; }
  runc_times+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
done
for i in $(seq 1 "$PODS"); do runc --root "$RUNC_ROOT" delete -f "bench-$i" >/dev/null; done

# --- the table --------------------------------------------------------------------------------
# samples DAEMON KEY FILES...: KEY's value in each of DAEMON's FILES (suffixes after "$OUT/$d.").
samples() {
  local d=$1 key=$2 f
  shift 2
  for f in "$@"; do value "$key" "$OUT/$d.$f"; done
}
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
pull_rounds=() concurrent_rounds=()
for r in $(seq 1 "$ROUNDS"); do pull_rounds+=("pull-$r"); concurrent_rounds+=("concurrent-$r"); done

printf '\n'
printf '%-40s %22s %22s %7s %s\n' "" "cloison" "containerd" "ratio" "target <= 0.5"
printf '%-40s %10s %11s %10s %11s %7s\n' "line" "median" "p95" "median" "p95" ""
# row LABEL CL_MEDIAN CL_P95 CD_MEDIAN CD_P95
row() {
  local r
  r=$(ratio "$2" "$4")
  printf '%-40s %10s %11s %10s %11s %7s %s\n' "$1" "$2" "$3" "$4" "$5" "$r" \
    "$(awk -v r="$r" 'BEGIN { print (r != "nan" && r <= 0.5) ? "met" : "MISSED" }')"
}
# call_row LABEL FILE PREFIX: the _median_ms and _p95_ms of PREFIX in each daemon's FILE.
call_row() {
  row "$1" "$(value "$3_median_ms" "$OUT/cloison.$2")" "$(value "$3_p95_ms" "$OUT/cloison.$2")" \
    "$(value "$3_median_ms" "$OUT/containerd.$2")" "$(value "$3_p95_ms" "$OUT/containerd.$2")"
}
call_row "RunPodSandbox (ms)" pods run_pod_sandbox
call_row "CreateContainer (ms)" pods create_container
call_row "StartContainer (ms)" pods start_container
call_row "pod start: the three summed (ms)" pods pod_start
call_row "pod teardown (ms)" pods pod_teardown
declare -A med95
for d in "${DAEMONS[@]}"; do
  mapfile -t v < <(samples "$d" concurrent_start_wall_ms "${concurrent_rounds[@]}")
  med95[$d]="$(median "${v[@]}") $(p95 "${v[@]}")"
done
# shellcheck disable=SC2086
row "$CONCURRENT pods at once, wall (ms, $ROUNDS rounds)" ${med95[cloison]} ${med95[containerd]}
present=$(value containers_present "$OUT/cloison.latency")
call_row "ListContainers, $present containers (ms)" latency list_containers
call_row "ListPodSandbox, $LATENCY_PODS pods (ms)" latency list_pod_sandbox
call_row "ContainerStatus, $present present (ms)" latency container_status
call_row "ExecSync true (ms)" pods exec_sync
for d in "${DAEMONS[@]}"; do
  mapfile -t v < <(samples "$d" pull_1_s "${pull_rounds[@]}")
  med95[$d]="$(median "${v[@]}") $(p95 "${v[@]}")"
done
# shellcheck disable=SC2086
row "pull ~100 MiB, 5 layers, cold (s, $ROUNDS runs)" ${med95[cloison]} ${med95[containerd]}
row "daemon RSS idle (MiB)" "$(kib_to_mib "$(value idle_daemon_rss_kib "$OUT/cloison.pods")")" - \
  "$(kib_to_mib "$(value idle_daemon_rss_kib "$OUT/containerd.pods")")" -
row "daemon RSS with $PODS pods (MiB)" "$(kib_to_mib "$(value daemon_rss_kib "$OUT/cloison.pods")")" - \
  "$(kib_to_mib "$(value daemon_rss_kib "$OUT/containerd.pods")")" -
row "per-pod helper PSS (KiB; monitor vs shim)" "$(value helper_pss_per_pod_kib "$OUT/cloison.pods")" - \
  "$(value helper_pss_per_pod_kib "$OUT/containerd.pods")" -
row "per-pod helper RSS (KiB)" "$(value helper_rss_per_pod_kib "$OUT/cloison.pods")" - \
  "$(value helper_rss_per_pod_kib "$OUT/containerd.pods")" -
runc_median=$(median "${runc_times[@]}")
printf '\nbare runc run -d (ms): median %s, p95 %s (%s runs)\n' "$runc_median" "$(p95 "${runc_times[@]}")" "$PODS"
for d in "${DAEMONS[@]}"; do
  printf 'pod start / runc floor, %-10s: %s (target for cloison <= 2.0)\n' "$d" \
    "$(ratio "$(value pod_start_median_ms "$OUT/$d.pods")" "$runc_median")"
done
printf 'helpers with %s pods: cloison %s cloison-monitor, containerd %s containerd-shim-runc-v2\n' "$PODS" \
  "$(value helper_count "$OUT/cloison.pods")" "$(value helper_count "$OUT/containerd.pods")"
