#!/bin/bash
# fs_bench.sh [--rss-only]: runs the shared file system workload suite
# (../shared/bench/fsbench.sh) on a fresh one-node PeerStore mount and measures peerstorefs's
# memory. Prints on stdout the suite's "peerstore WORKLOAD VALUE UNIT" lines, then
#   peerstore peak_rss_MiB VALUE MiB              (VmHWM over the whole suite, unmount included)
#   peerstore peak_rss_1GiB_write_MiB VALUE MiB   (VmHWM of a fresh mount that takes one 1 GiB
#                                                  dd of random data with conv=fsync)
# Details, build output and the daemon's log on failure go to stderr.
# --rss-only skips the suite. Env: REPS, FIO_REPS, FIO_RUNTIME, FSBENCH_DATA (passed on to
# fsbench.sh), FSBENCH (path of fsbench.sh), BENCH_TMP (where the mount, data and config dirs
# are made; default /tmp; the suite stores a few GiB there), KEEP=1 keeps them.
# Run as root for cold-cache reads (fsbench.sh drops the page cache).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
FSBENCH=${FSBENCH:-$ROOT/../shared/bench/fsbench.sh}
DATA=${FSBENCH_DATA:-/dev/shm/fsbench}
RAND=$DATA/rand1g
RSS_ONLY=0
case ${1:-} in
  --rss-only) RSS_ONLY=1 ;;
  "") ;;
  *) echo "usage: $0 [--rss-only]" >&2; exit 2 ;;
esac
[ "$RSS_ONLY" = 1 ] || [ -f "$FSBENCH" ] ||
  { echo "fs_bench.sh: $FSBENCH not found (set FSBENCH)" >&2; exit 1; }

BUILDTYPE=release bash scripts/build.sh >&2
BIN=$ROOT/build/tools/peerstorefs
[ -x "$BIN" ] || { echo "fs_bench.sh: $BIN was not built" >&2; exit 1; }

# shellcheck source=bench/mount_lib.sh
. bench/mount_lib.sh

OUT=""
if [ "$RSS_ONLY" = 0 ]; then
  mount_fresh
  RES=$(bash "$FSBENCH" "$MNT" peerstore)
  unmount_run
  cleanup
  OUT=$RES$'\n'"peerstore peak_rss_MiB $PEAK MiB"$'\n'
fi

mkdir -p "$DATA"
if [ ! -s "$RAND" ] || [ "$(stat -c %s "$RAND")" -ne 1073741824 ]; then
  echo "# generating $RAND (1 GiB from /dev/urandom)" >&2
  head -c 1073741824 /dev/urandom > "$RAND"
fi
mount_fresh
t0=$(date +%s.%N)
dd if="$RAND" of="$MNT/x" bs=1M count=1024 conv=fsync status=none
t1=$(date +%s.%N)
echo "# 1 GiB write with fsync: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s, %.0f MB/s", b-a, 1073.741824/(b-a) }')" >&2
unmount_run
cleanup
OUT+="peerstore peak_rss_1GiB_write_MiB $PEAK MiB"
printf '%s\n' "$OUT"
