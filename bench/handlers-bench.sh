#!/usr/bin/env bash
# Pod start per runtime handler, against the bare runtime floor. See bench/README.md and
# docs/performance.md ("Per handler").
#
#   sudo bench/handlers-bench.sh [--count 10] [--cloisond PATH] [--cri-bench PATH]
#        [--images DIR] [--keep-tmp]
#
# Starts a docker-registry on 127.0.0.1 with the busybox test fixture and one cloisond with the
# handlers runc, runsc (runtime-handlers/runsc) and runc-shim (runtime-handlers/runc-shim: a
# "vm" handler on containerd-shim-runc-v2); a handler whose binary is missing is skipped. For
# each handler, `cri-bench pods --handler H --count N` (host-network pods, RunPodSandbox +
# CreateContainer + StartContainer). Then the floors, N times each on the same busybox bundle
# with its own --root under the temp dir: `runc run --detach`, and `runsc --network=host run --detach`.
# runc-shim is compared with the runc floor: the shim runs runc underneath. Prints a table:
# handler, pod start median and p95, floor median, ratio of the medians. Stops everything it
# started.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

COUNT=10
IMAGES_DIR=
while [ $# -gt 0 ]; do
  case $1 in
    --count) COUNT=$2; shift 2 ;;
    --cloisond) CLOISOND=$2; shift 2 ;;
    --cri-bench) CRI_BENCH=$2; shift 2 ;;
    --images) IMAGES_DIR=$2; shift 2 ;;
    --keep-tmp) BENCH_KEEP_TMP=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root (cloisond and the runtimes need it)"
for tool in runc umoci skopeo docker-registry curl jq; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
default_binaries
bench_init handlers-bench
OUT=$BENCH_TMP/out
RUNSC_ROOT=$BENCH_TMP/runsc-root
mkdir -p "$OUT"

# Removes the runsc floor's sandboxes (lib.sh's cleanup knows runc roots only), then lib.sh's.
handlers_cleanup() {
  local rc=$? id
  set +e
  if [ -d "$RUNSC_ROOT" ]; then
    for id in $(runsc --root "$RUNSC_ROOT" list --quiet 2>/dev/null); do
      runsc --root "$RUNSC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  (exit "$rc")
  bench_cleanup
}
trap handlers_cleanup EXIT

# --- the handlers ------------------------------------------------------------------------------
HANDLERS=(runc)
declare -A FLOOR=([runc]=runc)
mkdir -p "$BENCH_TMP/cloisond/conf.d"
if command -v runsc >/dev/null; then
  cp "$BENCH_SRC/runtime-handlers/runsc/cloison.d/30-runsc.toml" "$BENCH_TMP/cloisond/conf.d/"
  HANDLERS+=(runsc)
  FLOOR[runsc]=runsc
else
  say "runsc not found: skipping the runsc handler"
fi
if [ -x /usr/bin/containerd-shim-runc-v2 ]; then
  cp "$BENCH_SRC/runtime-handlers/runc-shim/cloison.d/50-runc-shim.toml" "$BENCH_TMP/cloisond/conf.d/"
  HANDLERS+=(runc-shim)
  FLOOR[runc-shim]=runc
else
  say "containerd-shim-runc-v2 not found: skipping the runc-shim handler"
fi

test_images_dir
start_registry
push_layout "$IMAGES_DIR/busybox:latest" library/busybox:1.0
BUSYBOX_IMAGE=127.0.0.1:$REGISTRY_PORT/library/busybox:1.0
start_cloisond
cri_bench pull --image "$BUSYBOX_IMAGE" >"$OUT/pull"

for h in "${HANDLERS[@]}"; do
  say "pods: $COUNT on $h"
  if ! cri_bench pods --handler "$h" --image "$BUSYBOX_IMAGE" --log-dir "$BENCH_TMP/pod-logs/$h" \
    --cgroup-root "/$BENCH_CGROUP_ROOT/$h" --count "$COUNT" >"$OUT/$h.pods"; then
    cat "$OUT/$h.pods" >&2
    tail -20 "$CLOISOND_DIR/cloisond.log" >&2
    die "cri-bench pods --handler $h failed"
  fi
done

# --- the floors: the busybox rootfs as a bundle (runc's default spec without its network
# namespace, as the host-network pods), `sleep 3600`, COUNT times each, each in its own cgroup.
BUNDLE=$BENCH_TMP/bundle
mkdir -p "$BUNDLE" "$BENCH_TMP/runc-root" "$RUNSC_ROOT"
umoci raw unpack --image "$IMAGES_DIR/busybox:latest" "$BUNDLE/rootfs" >&2
(cd "$BUNDLE" && runc spec)
jq '.process.terminal = false | .process.args = ["sleep", "3600"] | .hostname = "bench" |
    del(.linux.namespaces[] | select(.type == "network"))' "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
declare -A FLOOR_MEDIAN
# floor RUNTIME ARGS...: COUNT times `RUNTIME ARGS run --detach`; sets FLOOR_MEDIAN[RUNTIME] (ms).
# The ids are zero-padded: runsc takes an id that prefixes another (bench-1, bench-10) as ambiguous.
floor() {
  local runtime=$1 i t0 times=()
  shift
  say "$runtime floor: $COUNT × $runtime run --detach"
  for i in $(seq -f '%04g' 1 "$COUNT"); do
    jq --arg cg "/$BENCH_CGROUP_ROOT/$runtime-floor/bench-$i" '.linux.cgroupsPath = $cg' \
      "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
    mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
    t0=$(now)
    "$runtime" "$@" run --detach --bundle "$BUNDLE" "bench-$i" </dev/null >/dev/null 2>"$BENCH_TMP/$runtime.err" ||
      { cat "$BENCH_TMP/$runtime.err" >&2; die "$runtime run failed"; }
    times+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
  done
  for i in $(seq -f '%04g' 1 "$COUNT"); do "$runtime" "$@" delete --force "bench-$i" >/dev/null; done
  FLOOR_MEDIAN[$runtime]=$(median "${times[@]}")
}
floor runc --root "$BENCH_TMP/runc-root"
if [ -n "${FLOOR[runsc]:-}" ]; then floor runsc --root "$RUNSC_ROOT" --network=host; fi

# --- the table ---------------------------------------------------------------------------------
printf '\npod start (RunPodSandbox + CreateContainer + StartContainer), %s pods per handler, ms\n' "$COUNT"
printf '%-10s %10s %10s %-8s %12s %7s\n' handler median p95 floor "floor median" ratio
for h in "${HANDLERS[@]}"; do
  median_ms=$(value pod_start_median_ms "$OUT/$h.pods")
  floor_ms=${FLOOR_MEDIAN[${FLOOR[$h]}]}
  printf '%-10s %10s %10s %-8s %12s %7s\n' "$h" "$median_ms" "$(value pod_start_p95_ms "$OUT/$h.pods")" \
    "${FLOOR[$h]}" "$floor_ms" "$(ratio "$median_ms" "$floor_ms")"
done
printf '(runc-shim is compared with the runc floor: containerd-shim-runc-v2 runs runc underneath.)\n'
