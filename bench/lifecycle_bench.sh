#!/bin/bash
# lifecycle_bench.sh: the storage lifecycle's figures (issue 16, docs/lifecycle.md) on a fresh
# one-node mount whose retention keeps only the current version
# (-o snapshots_all=0,snapshots_hourly=0,snapshots_daily=0), so that what a rewrite or a delete
# leaves behind is garbage at once. Prints one line per figure:
#   lifecycle rewrite_10x_store_MiB V      block bytes held after a 100 MiB file was rewritten
#                                          10 times (new random data each time, dd conv=fsync)
#                                          and the collections settled (about one copy: 100)
#   lifecycle rewrite_10x_lmdb_MiB V       the LMDB file then (freed pages are reused, the file
#                                          does not shrink)
#   lifecycle deleted_store_MiB V          block bytes once everything was deleted and collected
#   lifecycle reclaim_s V                  seconds from the delete to the space back
#   lifecycle collect_mark_blocks_per_s V  blocks marked per second of marking (from the
#   lifecycle collect_sweep_blocks_per_s V daemon's "collected:" lines), and unreached blocks
#                                          handled per second of cancelling and sweeping
#   lifecycle write_during_collect_ratio V a 200 MiB dd (conv=fsync) while a deleted 400 MiB
#                                          file is collected and released, over the same dd
#                                          alone, side by side in one run (1.0: no effect)
# Uses an existing build (BUILD_DIR, default build: tools/peerstorefs and tools/peerstore).
# Env: BENCH_TMP (where the mount, data and config dirs are made; default /tmp), KEEP=1 keeps
# them. Takes about 5 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
B=$(realpath "${BUILD_DIR:-build}")
BIN=$B/tools/peerstorefs
CLI=$B/tools/peerstore
for f in "$BIN" "$CLI"; do
  [ -x "$f" ] || { echo "lifecycle_bench.sh: $f is missing: build $B first" >&2; exit 2; }
done
MOUNT_OPTS=snapshots_all=0,snapshots_hourly=0,snapshots_daily=0
# shellcheck source=bench/mount_lib.sh
. bench/mount_lib.sh

block_bytes() {
  "$CLI" status --data "$RUN/data" --json | sed -n 's/.*"block_bytes":\([0-9]*\).*/\1/p'
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
now() { date +%s.%N; }
# Waits (up to 120 s) until the store holds at most $1 bytes of blocks; prints the seconds.
wait_below() {
  local t0 i
  t0=$(now)
  for i in $(seq 240); do
    [ "$(block_bytes)" -le "$1" ] && break
    sleep 0.5
  done
  awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}
write_random() {  # FILE MiB
  dd if=/dev/urandom of="$1" bs=1M count="$2" conv=fsync status=none
}
# The seconds a 200 MiB write with fsync takes.
timed_write() {
  local t0
  t0=$(now)
  write_random "$1" 200
  awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}

mount_fresh
for i in $(seq 10); do
  write_random "$MNT/file" 100
  echo "# rewrite $i: $(mib "$(block_bytes)") MiB of blocks" >&2
done
# One copy and the tree; the collector runs 10 s after a removal or truncation (dd truncates).
wait_below $((110 << 20)) > /dev/null
echo "lifecycle rewrite_10x_store_MiB $(mib "$(block_bytes)")"
echo "lifecycle rewrite_10x_lmdb_MiB $(mib "$(stat -c %s "$RUN/data/store/data.mdb")")"
t0=$(now)
rm "$MNT/file"
s=$(wait_below $((2 << 20)))
echo "lifecycle deleted_store_MiB $(mib "$(block_bytes)")"
echo "lifecycle reclaim_s $s"

# Foreground writes: alone, then during a collection (alternating, twice each).
alone=0 during=0
for r in 1 2; do
  a=$(timed_write "$MNT/alone")
  rm "$MNT/alone"
  wait_below $((2 << 20)) > /dev/null
  write_random "$MNT/big" 400
  rm "$MNT/big"
  sleep 9  # the collector starts 10 s after the removal
  d=$(timed_write "$MNT/during")
  rm "$MNT/during"
  wait_below $((2 << 20)) > /dev/null
  echo "# round $r: 200 MiB alone $a s, during a collection $d s" >&2
  alone=$(awk -v x="$alone" -v y="$a" 'BEGIN { print x + y }')
  during=$(awk -v x="$during" -v y="$d" 'BEGIN { print x + y }')
done
echo "lifecycle write_during_collect_ratio $(awk -v a="$alone" -v d="$during" 'BEGIN { printf "%.2f", a / d }')"
grep "collected:" "$RUN/daemon.log" | sed 's/^/# /' >&2
# "N versions marked (M blocks, ...); U blocks unreached, ... ; X ms to mark, Y ms to sweep"
grep "collected:" "$RUN/daemon.log" | awk '{
  for (i = 1; i <= NF; ++i) {
    if ($i == "marked" && $(i + 1) ~ /^\(/) { m += substr($(i + 1), 2) }
    if ($i == "unreached,") { u += $(i - 2) }
    if ($i == "ms" && $(i + 2) == "mark,") { mt += $(i - 1) }
    if ($i == "ms" && $(i + 2) == "sweep") { st += $(i - 1) }
  }
} END {
  printf "lifecycle collect_mark_blocks_per_s %.0f\n", mt ? m / mt * 1000 : 0
  printf "lifecycle collect_sweep_blocks_per_s %.0f\n", st ? u / st * 1000 : 0
}'
unmount_run
