#!/usr/bin/env bash
# Pull benchmark: cloisond's PullImage against `skopeo copy` of the same ~100 MiB image from a
# local docker-registry on 127.0.0.1. See bench/README.md.
#
#   sudo bench/pull-bench.sh [--cloisond PATH] [--cri-bench PATH] [--runs N] [--keep-tmp]
#
# Builds a 5-layer image (busybox + 4 layers of incompressible AES-CTR keystream under fixed
# keys, so the same bytes and digests every run) with umoci, pushes it, then times
#   (a) skopeo copy docker://127.0.0.1:PORT/bench/big:1 oci:<fresh dir>:1   (RUNS times)
#   (b) cri-bench pull --fresh --repeat RUNS against a fresh cloisond
# and prints both medians, their ratio (target <= 1.0) and the image store's size on disk
# against the sum of the compressed layer blobs. Prints "key: value" lines on stdout.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
while [ $# -gt 0 ]; do
  case $1 in
    --cloisond) CLOISOND=$2; shift 2 ;;
    --cri-bench) CRI_BENCH=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep-tmp) BENCH_KEEP_TMP=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
for tool in umoci skopeo tar openssl docker-registry curl jq; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
default_binaries
bench_init pull-bench

# --- the image ------------------------------------------------------------------------------
LAYOUT=$BENCH_TMP/layout
build_big_layout "$LAYOUT"

# Layer blobs (compressed) from the layout's manifest.
manifest_digest=$(jq -r '.manifests[0].digest' "$LAYOUT/index.json")
manifest=$LAYOUT/blobs/sha256/${manifest_digest#sha256:}
layer_count=$(jq '.layers | length' "$manifest")
layer_blob_bytes=$(jq '[.layers[].size] | add' "$manifest")
uncompressed_bytes=0
for d in $(jq -r '.layers[].digest' "$manifest"); do
  n=$(gzip -dc "$LAYOUT/blobs/sha256/${d#sha256:}" | wc -c)
  uncompressed_bytes=$((uncompressed_bytes + n))
done

# --- registry -------------------------------------------------------------------------------
start_registry
IMAGE=127.0.0.1:$REGISTRY_PORT/bench/big:1
push_layout "$LAYOUT:1" bench/big:1

kv image "$IMAGE"
kv manifest_digest "$manifest_digest"
kv layers "$layer_count"
kv layer_blobs_bytes "$layer_blob_bytes"
kv layer_tars_bytes "$uncompressed_bytes"
kv runs "$RUNS"

# --- (a) skopeo ------------------------------------------------------------------------------
skopeo_times=()
for run in $(seq 1 "$RUNS"); do
  dest=$BENCH_TMP/skopeo-$run
  t0=$(now)
  skopeo --insecure-policy copy --quiet --src-tls-verify=false --src-no-creds \
    "docker://$IMAGE" "oci:$dest:1" >&2
  t=$(elapsed "$t0")
  skopeo_times+=("$t")
  kv "skopeo_copy_${run}_s" "$t"
  rm -rf "$dest"
done
skopeo_median=$(median "${skopeo_times[@]}")
kv skopeo_copy_median_s "$skopeo_median"

# --- (b) cloisond ---------------------------------------------------------------------------
start_cloisond
out=$BENCH_TMP/cri-bench-pull.out
if ! cri_bench pull --image "$IMAGE" --fresh --repeat "$RUNS" >"$out"; then
  cat "$out"
  tail -30 "$CLOISOND_DIR/cloisond.log" >&2
  die "cri-bench pull failed"
fi
grep -E '^pull_[0-9]+_s:|^image_ref:|^image_size_bytes:' "$out" | sed 's/^pull_/cloisond_pull_/'
cloisond_median=$(value pull_median_s "$out")
kv cloisond_pull_median_s "$cloisond_median"
kv ratio_cloisond_over_skopeo "$(ratio "$cloisond_median" "$skopeo_median")"
kv target_ratio "<= 1.0"

store_bytes=$(du -sb "$CLOISOND_DIR/root/images" | cut -f1)
kv image_store_bytes "$store_bytes"
for sub in "$CLOISOND_DIR"/root/images/*/; do
  [ -d "$sub" ] && kv "image_store_$(basename "$sub")_bytes" "$(du -sb "$sub" | cut -f1)"
done
kv ratio_store_over_layer_blobs "$(ratio "$store_bytes" "$layer_blob_bytes")"
kv ratio_store_over_blobs_plus_tars "$(ratio "$store_bytes" $((layer_blob_bytes + uncompressed_bytes)))"
