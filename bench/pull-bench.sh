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
for tool in umoci skopeo tar openssl docker-registry curl; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
default_binaries
bench_init pull-bench

# --- the image ------------------------------------------------------------------------------
export SOURCE_DATE_EPOCH=1704067200
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
WORK=$BENCH_TMP/work
LAYOUT=$BENCH_TMP/layout
mkdir -p "$WORK"

# keystream BYTES IV_HEX: BYTES of AES-128-CTR keystream under a fixed key (incompressible,
# reproducible).
keystream() {
  head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt \
    -K 00112233445566778899aabbccddeeff -iv "$2"
}
make_tar() {
  local src=$1 out=$2
  (cd "$src" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    tar --create --file="$out" --format=gnu --numeric-owner --owner=0 --group=0 \
        --mtime="@$SOURCE_DATE_EPOCH" --no-recursion --verbatim-files-from --files-from=-)
}
MiB=1048576
t_build=$(now)
# Layer 1: busybox.
mkdir -p "$WORK/l1/bin" "$WORK/l1/etc" "$WORK/l1/tmp"
cp "$BUSYBOX" "$WORK/l1/bin/busybox"
for applet in sh sleep cat ls true; do ln -s busybox "$WORK/l1/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$WORK/l1/etc/passwd"
printf 'root:x:0:\n' >"$WORK/l1/etc/group"
chmod 1777 "$WORK/l1/tmp"
# Layer 2: 4 files of 8 MiB.
mkdir -p "$WORK/l2/data/a"
for i in 0 1 2 3; do keystream $((8 * MiB)) "0000000000000000000000000000020$i" >"$WORK/l2/data/a/file$i.bin"; done
# Layer 3: one 32 MiB file.
mkdir -p "$WORK/l3/data/b"
keystream $((32 * MiB)) 00000000000000000000000000000300 >"$WORK/l3/data/b/big.bin"
# Layer 4: 384 files of 64 KiB (24 MiB; per-file overhead).
mkdir -p "$WORK/l4/data/c"
keystream $((24 * MiB)) 00000000000000000000000000000400 | (cd "$WORK/l4/data/c" && split -b 65536 -a 3 -d - part.)
# Layer 5: 2 files of 6 MiB.
mkdir -p "$WORK/l5/data/d"
for i in 0 1; do keystream $((6 * MiB)) "0000000000000000000000000000050$i" >"$WORK/l5/data/d/file$i.bin"; done
find "$WORK"/l? -type f -exec chmod 0644 {} + ; chmod 0755 "$WORK/l1/bin/busybox"
find "$WORK"/l? -mindepth 1 -type d -exec chmod 0755 {} + ; chmod 1777 "$WORK/l1/tmp"

umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:1"
for l in 1 2 3 4 5; do
  make_tar "$WORK/l$l" "$WORK/l$l.tar"
  umoci raw add-layer --image "$LAYOUT:1" --history.created 2024-01-01T00:00:00Z \
    --history.created_by "cloison pull-bench.sh: layer $l" "$WORK/l$l.tar"
done
umoci config --image "$LAYOUT:1" --no-history --created 2024-01-01T00:00:00Z --architecture amd64 \
  --os linux --config.cmd /bin/sh --config.env PATH=/bin --config.workingdir / --config.user ""
umoci gc --layout "$LAYOUT"
rm -rf "$WORK"
say "built the image in $(elapsed "$t_build") s"

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
