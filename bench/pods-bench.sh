#!/usr/bin/env bash
# Pod start benchmark: N pods of one busybox `sleep 3600` container through cloisond, against
# the floor of N bare `runc run -d` of an equivalent bundle. See bench/README.md.
#
#   sudo [N=50] bench/pods-bench.sh [--count N] [--handler H] [--cloisond PATH]
#                                   [--cri-bench PATH] [--images DIR] [--per-pod] [--keep-tmp]
#
# Starts cloisond (temp root/state/socket/config) and a docker-registry on 127.0.0.1 with the
# busybox test fixture (tests/fixtures/build-images.sh, or build/fixtures/images when built),
# pulls it, runs `cri-bench pods --count N` (pod start latency, List latencies, RSS of cloisond
# and cloison-monitor, teardown), then times N `runc run -d` of a busybox bundle in its own
# runc --root and `runc delete -f`s them. Prints "key: value" lines on stdout: the medians, the
# ratio pod start / bare runc start (target <= 2.0), cloisond RSS idle and with N pods, and the
# monitor RSS per container.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

N=${N:-50}
HANDLER=
IMAGES_DIR=
PER_POD=0
while [ $# -gt 0 ]; do
  case $1 in
    --count) N=$2; shift 2 ;;
    --handler) HANDLER=$2; shift 2 ;;
    --cloisond) CLOISOND=$2; shift 2 ;;
    --cri-bench) CRI_BENCH=$2; shift 2 ;;
    --images) IMAGES_DIR=$2; shift 2 ;;
    --per-pod) PER_POD=1; shift ;;
    --keep-tmp) BENCH_KEEP_TMP=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root (cloisond and runc need it)"
for tool in runc umoci skopeo docker-registry curl jq; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
default_binaries
bench_init pods-bench

# --- the busybox fixture, in a registry --------------------------------------------------------
if [ -z "$IMAGES_DIR" ] && [ -d "$BENCH_SRC/build/fixtures/images/busybox" ]; then
  IMAGES_DIR=$BENCH_SRC/build/fixtures/images
fi
if [ -z "$IMAGES_DIR" ]; then
  IMAGES_DIR=$BENCH_TMP/images
  "$BENCH_SRC/tests/fixtures/build-images.sh" "$IMAGES_DIR" >&2
fi
[ -d "$IMAGES_DIR/busybox" ] || die "no busybox layout in $IMAGES_DIR"
start_registry
push_layout "$IMAGES_DIR/busybox:latest" library/busybox:1.0
IMAGE=127.0.0.1:$REGISTRY_PORT/library/busybox:1.0

# --- cloisond -------------------------------------------------------------------------------
start_cloisond
cri_bench pull --image "$IMAGE" >"$BENCH_TMP/pull.out" || { cat "$BENCH_TMP/pull.out"; die "pull failed"; }
kv image "$IMAGE"
kv pods "$N"
kv daemon_rss_idle_kib "$(awk '/^VmRSS:/ { print $2 }' "/proc/$CLOISOND_PID/status")"

out=$BENCH_TMP/pods.out
pods_args=(pods --image "$IMAGE" --count "$N" --log-dir "$BENCH_TMP/pod-logs" --daemon-pid "$CLOISOND_PID")
[ -n "$HANDLER" ] && pods_args+=(--handler "$HANDLER")
[ "$PER_POD" = 1 ] && pods_args+=(--per-pod)
pods_rc=0
cri_bench "${pods_args[@]}" >"$out" || pods_rc=$?
sed 's/^/cri_bench./' "$out"
if [ "$pods_rc" != 0 ]; then
  say "cri-bench pods failed (exit $pods_rc); cloisond log tail:"
  tail -30 "$CLOISOND_DIR/cloisond.log" >&2
fi
pod_median=$(value pod_start_median_ms "$out")

# --- bare runc floor -----------------------------------------------------------------------
# The same busybox rootfs, `sleep 3600`, runc's default spec (pid, net, ipc, uts and mount
# namespaces, read-only root): what cloisond does per pod minus everything that is its own.
BUNDLE=$BENCH_TMP/bundle
RUNC_ROOT=$BENCH_TMP/runc-root
mkdir -p "$BUNDLE" "$RUNC_ROOT"
umoci raw unpack --image "$IMAGES_DIR/busybox:latest" "$BUNDLE/rootfs" >&2
(cd "$BUNDLE" && runc spec)
jq '.process.terminal = false | .process.args = ["sleep", "3600"] | .hostname = "bench"' \
  "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
runc_times=()
for i in $(seq 1 "$N"); do
  t0=$(now)
  runc --root "$RUNC_ROOT" run -d --bundle "$BUNDLE" "bench-$i" </dev/null >/dev/null 2>"$BENCH_TMP/runc.err" ||
    { cat "$BENCH_TMP/runc.err" >&2; die "runc run failed"; }
  runc_times+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
done
t0=$(now)
for i in $(seq 1 "$N"); do runc --root "$RUNC_ROOT" delete -f "bench-$i" >/dev/null; done
runc_delete_total_ms=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
runc_median=$(median "${runc_times[@]}")

# --- summary -------------------------------------------------------------------------------
kv runc_run_median_ms "$runc_median"
kv runc_run_p95_ms "$(printf '%s\n' "${runc_times[@]}" | sort -g | awk '{ v[NR] = $1 } END { r = int(NR * 0.95 + 0.999); if (r < 1) r = 1; print v[r] }')"
kv runc_delete_total_ms "$runc_delete_total_ms"
if [ "$pods_rc" = 0 ] && [ -n "$pod_median" ]; then
  kv pod_start_median_ms "$pod_median"
  kv pod_start_p95_ms "$(value pod_start_p95_ms "$out")"
  kv ratio_pod_start_over_runc "$(ratio "$pod_median" "$runc_median")"
  kv target_ratio "<= 2.0"
  kv daemon_rss_with_pods_kib "$(value daemon_rss_kib "$out")"
  kv monitor_rss_per_container_kib "$(value monitor_rss_per_container_kib "$out")"
  kv list_containers_median_ms "$(value list_containers_median_ms "$out")"
  kv list_pod_sandbox_median_ms "$(value list_pod_sandbox_median_ms "$out")"
  kv teardown_total_ms "$(value teardown_total_ms "$out")"
else
  kv pod_start_median_ms "n/a (cri-bench pods failed: $(sed -n 's/^error: //p' "$out" | head -1))"
fi
exit "$pods_rc"
